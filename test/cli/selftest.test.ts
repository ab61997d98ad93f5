// Every fault switch of the reference hub is caught by the tests of the requirement it breaks.
import { expect, it } from 'vitest';
import { hubcheck } from './helpers.js';

it('hubcheck selftest catches every fault', async () => {
  const r = await hubcheck(['selftest'], 1_200_000);
  expect(r.stdout, r.stderr).toMatch(/all \d+ faults caught/);
  expect(r.code).toBe(0);
}, 1_230_000);

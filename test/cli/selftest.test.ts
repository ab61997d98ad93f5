// Every fault switch of the reference hub is caught by the tests of the requirement it breaks. Without the baseline:
// npm test runs the same suites against the fault-free reference hub (the conformance project), so a caught fault
// cannot be a suite that fails on a correct hub; the baseline itself is checked below on two faults.
import { expect, it } from 'vitest';
import { hubcheck } from './helpers.js';

it('hubcheck selftest catches every fault', async () => {
  const r = await hubcheck(['selftest', '--no-baseline'], 1_200_000);
  expect(r.stdout, r.stderr).toMatch(/all \d+ faults caught/);
  expect(r.stdout).not.toMatch(/^baseline/m);
  expect(r.code).toBe(0);
}, 1_230_000);

it('selftest checks the fault-free hub first unless told not to', async () => {
  const r = await hubcheck(['selftest', '--fault', 'coap-no-dedup', '--fault', 'gateway-bind-ignores-expiry'], 300_000);
  expect(r.stdout, r.stderr).toMatch(/^baseline: the tests of \d+ requirements in 2 suites/m);
  expect(r.stdout).toMatch(/all 2 faults caught/);
  expect(r.code).toBe(0);
}, 330_000);

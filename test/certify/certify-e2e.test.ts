// hubcheck certify end to end, for real: the whole tencent-hub profile against the embedded reference hub at
// certification depth (about three minutes on two cores), then hubcheck verify on the bundle it wrote.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { generateKeyPair } from '../../src/certify/keys.js';
import { hubcheck } from '../cli/helpers.js';
import { tmp } from './fixtures.js';

it('certify gives the embedded reference hub a certificate that verify accepts offline', async () => {
  const dir = tmp();
  const key = generateKeyPair(path.join(dir, 'vendor'));
  const out = path.join(dir, 'bundle');
  const certify = await hubcheck(['certify', '--key', key.privateFile, '--out', out, '--seed', '20261207'], 900_000);
  expect(certify.code, certify.stdout.slice(-3000) + certify.stderr).toBe(0);
  expect(certify.stdout).toMatch(/CERTIFIED reference hub \(embedded\) for profile tencent-hub: (\d+)\/\1 required requirements passed/);
  expect(certify.stdout).toMatch(/declared missing: rate-limits/);

  const predicate = JSON.parse(readFileSync(path.join(out, 'certification.json'), 'utf8'));
  expect(predicate).toMatchObject({ result: 'certified', profile: 'tencent-hub', hub: { launcher: 'embedded' }, run: { seed: 20261207, runsFactor: 2 } });
  expect(predicate.capabilities.missing).toContain('rate-limits');
  expect(predicate.run.reproduce).toMatch(/^HUBCHECK_SEED=20261207 HUBCHECK_RUNS_FACTOR=2 npx hubcheck run/);
  expect(readdirSync(path.join(out, 'transcripts', 'passed')).length).toBeGreaterThan(10);
  expect(readFileSync(path.join(out, 'certificate.html'), 'utf8')).toMatch(/<li data-capability="rate-limits">/);
  expect(JSON.parse(readFileSync(path.join(out, 'target.json'), 'utf8'))).toEqual({ launcher: 'embedded' });

  const verify = await hubcheck(['verify', out, '--key', key.publicFile]);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect(verify.stdout).toMatch(/files\s+ok: every file is as signed/);
  expect(verify.stdout).toMatch(/this hubcheck's own/);
  expect(verify.stdout).toMatch(/CERTIFIED: reference hub \(embedded\)/);
}, 960_000);

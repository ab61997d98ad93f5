// A hub with a fault switch on is not certified, and its certificate names the MUST it broke: a real run of the
// reference hub with ignore-expiry (only the tests of AUTH-003, so it takes seconds, not a second full certify),
// judged and signed by the same code certify uses.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBundle } from '../../src/certify/bundle.js';
import { ownSuiteIdentity } from '../../src/certify/identity.js';
import { verifyBundle } from '../../src/certify/verify.js';
import type { RunResult } from '../../src/report/model.js';
import { hubcheck } from '../cli/helpers.js';
import { keyPair, tmp } from './fixtures.js';

describe('a reference hub with a fault switch on', () => {
  it('is not certified, and the certificate names the failed MUST and the fault', async () => {
    const dir = tmp();
    const descriptor = path.join(dir, 'faulty.yaml');
    writeFileSync(descriptor, 'launcher: embedded\nembedded:\n  faults: [ignore-expiry]\n');
    const reportDir = path.join(dir, 'report');
    const run = await hubcheck(['run', '--target', descriptor, '--only', 'AUTH-003', '--no-probe', '--report-dir', reportDir]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const result = JSON.parse(readFileSync(path.join(reportDir, 'results.json'), 'utf8')) as RunResult;
    expect(result.requirements!.find((r) => r.id === 'AUTH-003')!.verdict).toBe('fail');

    const { key, pub } = keyPair(dir);
    const written = await writeBundle({
      dir: path.join(dir, 'bundle'), result, runErrors: [], descriptor: { launcher: 'embedded', embedded: { faults: ['ignore-expiry'] } },
      hub: { name: result.target.name, launcher: 'embedded' }, secrets: [], suite: ownSuiteIdentity(),
      settings: { seed: 7, runsFactor: 2, passTranscripts: 10, parallel: 4 }, profile: 'tencent-hub', key,
    });
    const p = written.predicate;
    expect(p.result).toBe('not-certified');
    expect(p.failedMusts).toEqual(['AUTH-003']);
    expect(p.faults).toEqual(['ignore-expiry']);
    expect(p.reasons.join('\n')).toMatch(/required requirement\(s\) failed: AUTH-003[\s\S]*fault switches were on \(ignore-expiry\)/);
    const html = readFileSync(path.join(written.dir, 'certificate.html'), 'utf8');
    expect(html).toMatch(/NOT CERTIFIED/);
    expect(html).toMatch(/<ul class="failed-musts"><li data-id="AUTH-003">/);
    // the failure's wire transcript is in the bundle
    const failed = written.files.filter((f) => f.path.startsWith('transcripts/failed/'));
    expect(failed.map((f) => f.path).join(' ')).toMatch(/AUTH-003/);
    const v = await verifyBundle(written.dir, { key: pub });
    expect(v.ok, v.problems.join('\n')).toBe(true);
    expect(v.predicate!.result).toBe('not-certified');
  }, 120_000);
});

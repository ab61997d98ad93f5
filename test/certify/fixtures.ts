/** Small synthetic runs and bundles for the certification tests: no hub, no suites, a bundle in milliseconds. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeBundle, type BundleInput, type WrittenBundle } from '../../src/certify/bundle.js';
import { generateKeyPair, loadSigningKey, type KeyType, type SigningKey } from '../../src/certify/keys.js';
import { ownSuiteIdentity } from '../../src/certify/identity.js';
import type { RunResult, TestResult } from '../../src/report/model.js';
import { summarize } from '../../src/report/summarize.js';
import { coverageByArea, foldRequirements } from '../../src/runner/coverage.js';
import { effectiveCapabilities } from '../../src/target/capabilities.js';
import { areaOf, requirementsFor } from '../../specs/requirements/index.js';

export const tmp = (prefix = 'hubcheck-cert-'): string => mkdtempSync(path.join(os.tmpdir(), prefix));

/** Missing from the synthetic hub, as the embedded reference hub misses it. */
export const MISSING = ['rate-limits'];
export const SECRET_KEY = 'sk-synthetic-0123456789abcdef';

/**
 * A run of the tencent-hub profile in which every applicable requirement has one passing test, except those in
 * `verdicts` (id → verdict of its test). One passing test keeps a transcript, as certify's sample does.
 */
export function syntheticRun(verdicts: Record<string, TestResult['verdict']> = {}, o: { faults?: string[] } = {}): RunResult {
  const capabilities = effectiveCapabilities('tencent-hub', { missing: MISSING });
  const tests: TestResult[] = requirementsFor(capabilities).map((r, i) => {
    const verdict = verdicts[r.id] ?? 'pass';
    const name = `[${r.id}] ${r.title}`;
    return {
      name, fullName: `suite > ${name}`, file: `suites/${areaOf(r.id)}.test.ts`, area: areaOf(r.id), requirements: [r.id], verdict, durationMs: 5,
      ...(verdict === 'fail' ? { error: { message: `expected the hub to refuse; it accepted (secret ${SECRET_KEY})` } } : {}),
      ...(verdict === 'error' ? { error: { message: 'the test did not finish' } } : {}),
      ...(verdict === 'not-applicable' ? { reason: 'skipped' } : {}),
      evidence: verdict === 'fail' || i === 0 ? [{ kind: 'mqtt' as const, title: 'device-1', lines: ['+    1 ms → CONNECT clientId="P1dev"', '+    3 ms ← CONNACK returnCode=0'] }] : [],
    };
  });
  const result: RunResult = {
    runId: '2026-12-01T10-00-00-abc123', startedAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T10:02:30.000Z', hubcheckVersion: '0.1.0',
    target: { name: 'synthetic hub', launcher: 'external', profile: 'tencent-hub', endpoints: { mqtt: 'mqtt://127.0.0.1:1883' }, faults: o.faults ?? [], capabilities },
    ...summarize(tests, 150_000),
    tests,
    probe: { durationMs: 900, notes: [], topicBytes: { max: 64, capped: false, attempts: 2 } },
    findings: [],
  };
  result.requirements = foldRequirements(tests, capabilities);
  result.coverage = coverageByArea(result.requirements);
  return result;
}

export function keyPair(dir: string, type: KeyType = 'ed25519', name = 'vendor'): { key: SigningKey; pub: string; priv: string } {
  const k = generateKeyPair(path.join(dir, name), type);
  return { key: loadSigningKey(k.privateFile), pub: k.publicFile, priv: k.privateFile };
}

export async function syntheticBundle(dir: string, key: SigningKey, over: Partial<BundleInput> = {}): Promise<WrittenBundle> {
  const result = over.result ?? syntheticRun();
  return writeBundle({
    dir,
    result,
    runErrors: [],
    descriptor: { launcher: 'external', name: 'synthetic hub', endpoints: { mqtt: 'mqtt://127.0.0.1:1883', api: 'http://127.0.0.1:8080' }, cloudApi: { secretId: 'AKID-synthetic', secretKey: SECRET_KEY }, capabilities: { missing: MISSING } },
    hub: { name: 'synthetic hub', launcher: 'external' },
    secrets: [],
    suite: ownSuiteIdentity(),
    settings: { seed: 42, runsFactor: 2, passTranscripts: 10, parallel: 4 },
    profile: 'tencent-hub',
    key,
    ...over,
  });
}

// Runs the suites against a fresh Mosquitto with the mqtt-core profile (must pass) and the tencent-hub profile (must fail exactly where Mosquitto differs), and compares each run with expected-verdicts.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { runConformance } from '../../src/runner/run.js';
import type { RunResult } from '../../src/report/model.js';
import { mosquittoBinary, mosquittoTarget } from './broker.js';

const TABLE = new URL('./expected-verdicts.json', import.meta.url);
type Profile = 'mqtt-core' | 'tencent-hub';
/** Test name → verdict, per profile; a test not listed must be not applicable. */
type Table = Record<Profile, Record<string, string>>;

/**
 * The tencent-hub run is held to the suites whose differences from Mosquitto are the point (login,
 * ACL, wildcards, limits, plain MQTT); device-service suites would only add "no system topics" rows.
 */
const FILES: Record<Profile, string[] | undefined> = {
  'mqtt-core': undefined,
  'tencent-hub': ['suites/auth.test.ts', 'suites/acl.test.ts', 'suites/wildcards.test.ts', 'suites/limits.test.ts', 'suites/mqtt-core'],
};

const available = mosquittoBinary() !== undefined;
const inCi = process.env.CI === 'true';
const update = process.env.HUBCHECK_UPDATE_VERDICTS === '1';

/** Every difference between a run and the table, one line each. */
export function verdictDiff(expected: Record<string, string>, result: RunResult): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const t of result.tests) {
    seen.add(t.name);
    const want = expected[t.name] ?? 'not-applicable';
    if (t.verdict !== want) lines.push(`${t.name}: expected ${want}, got ${t.verdict}${t.error ? ` (${t.error.message.split('\n')[0]!.slice(0, 160)})` : ''}`);
  }
  for (const name of Object.keys(expected)) if (!seen.has(name)) lines.push(`${name}: expected ${expected[name]}, but no such test ran (renamed or removed?)`);
  return lines;
}

describe.skipIf(!available && !inCi)(available || inCi ? 'Mosquitto verdicts' : 'Mosquitto verdicts (skipped: mosquitto is not installed; apt-get install -y mosquitto, or run with CI=true to require it)', () => {
  const table: Table = JSON.parse(readFileSync(TABLE, 'utf8'));
  for (const profile of ['mqtt-core', 'tencent-hub'] as const) {
    test(`${profile} profile against a fresh Mosquitto matches the expected verdicts`, async () => {
      if (!available) throw new Error('mosquitto is not installed, and CI=true requires this test: apt-get install -y mosquitto');
      const { result, runErrors } = await runConformance({ target: await mosquittoTarget(profile), files: FILES[profile], noReports: true });
      expect(runErrors).toEqual([]);
      if (update) {
        table[profile] = Object.fromEntries(result.tests.filter((t) => t.verdict !== 'not-applicable').map((t) => [t.name, t.verdict]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
        writeFileSync(TABLE, JSON.stringify(table, null, 2) + '\n');
        return;
      }
      const diff = verdictDiff(table[profile], result);
      expect(diff, `verdicts differ from test/mosquitto/expected-verdicts.json (${profile}); if the change is intended, rerun with HUBCHECK_UPDATE_VERDICTS=1:\n${diff.join('\n')}`).toEqual([]);
      if (profile === 'mqtt-core') expect(result.tests.filter((t) => t.verdict === 'fail' || t.verdict === 'error').map((t) => t.name)).toEqual([]);
      if (profile === 'tencent-hub') expect(result.findings?.map((f) => f.id)).toEqual(expect.arrayContaining(['qos2-granted', 'retain-honoured', 'topic-bytes']));
    }, 300_000);
  }
});

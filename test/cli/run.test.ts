// `hubcheck run` end to end: an external hub with a fault yields a failing report that names the requirement and shows the CONNACK.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePayload } from '../../src/schema/index.js';
import { freePorts, hubcheck, startHubProcess } from './helpers.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hubcheck-'));

describe('hubcheck run', () => {
  it('fails against an external hub started with --fault accept-bad-signature, naming AUTH-004 and showing the CONNACK', async () => {
    const [mqtt, ws, api] = await freePorts(3);
    const dir = tmp();
    const file = path.join(dir, 'hub.yaml');
    const hub = await startHubProcess(['--mqtt-port', String(mqtt), '--ws-port', String(ws), '--api-port', String(api), '--tls-port', '0', '--wss-port', '0', '--fault', 'accept-bad-signature', '--target-file', file]);
    try {
      const reportDir = path.join(dir, 'report');
      const r = await hubcheck(['run', '--target', file, '--only', 'AUTH-00[1-4]', '--report-dir', reportDir]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toMatch(/AUTH-004/);
      const results = JSON.parse(readFileSync(path.join(reportDir, 'results.json'), 'utf8'));
      const valid = validatePayload('results.schema.json#', results, 'results.json');
      expect(valid.ok, valid.ok ? '' : valid.text).toBe(true);
      expect(results.requirements.find((r: { id: string }) => r.id === 'AUTH-004').verdict).toBe('fail');
      expect(r.stdout).toMatch(/requirements\s+applicable\s+tested\s+passed\s+failed/);
      const failed = results.tests.filter((t: { verdict: string }) => t.verdict === 'fail');
      expect(failed.map((t: { requirements: string[] }) => t.requirements).flat()).toContain('AUTH-004');
      const evidence = JSON.stringify(failed.find((t: { requirements: string[] }) => t.requirements.includes('AUTH-004')).evidence);
      expect(evidence).toMatch(/CONNACK returnCode=0/);
      expect(readFileSync(path.join(reportDir, 'junit.xml'), 'utf8')).toMatch(/<failure/);
      expect(readFileSync(path.join(reportDir, 'index.html'), 'utf8')).toMatch(/AUTH-004/);
    } finally {
      await hub.stop();
    }
  }, 120_000);

  it('refuses a bad descriptor with one line naming the field', async () => {
    const file = path.join(tmp(), 'bad.yaml');
    writeFileSync(file, 'launcher: external\nendpoints:\n  mqtt: tcp://nowhere\n  api: http://127.0.0.1:9\ncloudApi:\n  secretId: a\n');
    const r = await hubcheck(['run', '--target', file]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/endpoints\.mqtt/);
    expect(r.stderr).toMatch(/cloudApi\.secretKey: missing/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('refuses a missing descriptor file and an unreachable hub clearly', async () => {
    const missing = await hubcheck(['run', '--target', '/nonexistent/hub.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read target descriptor/);
    const [port] = await freePorts(1);
    const file = path.join(tmp(), 'down.yaml');
    writeFileSync(file, `launcher: external\nendpoints:\n  mqtt: mqtt://127.0.0.1:${port}\n  api: http://127.0.0.1:${port}\ncloudApi:\n  secretId: a\n  secretKey: b\n`);
    const down = await hubcheck(['run', '--target', file]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/does not answer/);
  });

  it('refuses an --only that selects nothing', async () => {
    const r = await hubcheck(['run', '--only', 'NO-SUCH-ID-999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no test matched/);
  }, 120_000);

  it('refuses a --parallel that is not a number of files from 1 to 32, naming what was given', async () => {
    for (const bad of ['x', '0', '33', '2.5']) {
      const r = await hubcheck(['run', '--parallel', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/--parallel takes a whole number of suite files to run at once, from 1 to 32 \(got "?[^)]+"?\)/);
      expect(r.stderr, bad).not.toMatch(/\n\s+at /);
    }
  }, 60_000);
});

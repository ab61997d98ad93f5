// The process launcher against the real reference hub: readiness by log line, output kept in the report, and a hub killed mid-run ends the run promptly with errors, never a hang.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { runConformance } from '../../src/runner/run.js';
import { parseDescriptor, type TargetDescriptor } from '../../src/target/descriptor.js';
import { launch } from '../../src/target/launch.js';
import { freePort } from '../../src/target/shortcut.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The reference hub as a command on fixed free ports; `killAfterMs` kills it that long after it is ready. */
async function hubProcess(killAfterMs?: number): Promise<TargetDescriptor> {
  const [mqtt, ws, api] = [await freePort(), await freePort(), await freePort()];
  const hub = ['node', path.join(ROOT, 'bin/hubcheck.js'), 'hub', '--mqtt-port', String(mqtt), '--ws-port', String(ws), '--api-port', String(api), '--tls-port', '0', '--wss-port', '0', '--secret-id', 'AKIDprocess', '--secret-key', 'process-secret'];
  const [command, ...args] = killAfterMs === undefined ? hub : ['node', path.join(ROOT, 'test/target/fixtures/dies-after-ready.mjs'), String(killAfterMs), 'press Ctrl-C', ...hub];
  return {
    launcher: 'process',
    process: { command: command!, args, ready: { log: '^reference hub running' } },
    endpoints: { mqtt: `mqtt://127.0.0.1:${mqtt}`, ws: `ws://127.0.0.1:${ws}/mqtt`, api: `http://127.0.0.1:${api}` },
    cloudApi: { secretId: 'AKIDprocess', secretKey: 'process-secret' },
    capabilities: { missing: ['persistent-sessions'] },
  };
}

describe('process launcher', () => {
  test('starts the hub, waits for its log line, runs a suite, keeps the output and stops it', async () => {
    const { result, runErrors } = await runConformance({ target: await hubProcess(), files: ['suites/auth.test.ts'], only: 'AUTH-00[17]', noReports: true, probe: false });
    expect(runErrors).toEqual([]);
    expect(result.target.launcher).toBe('process');
    expect(result.tests.filter((t) => t.verdict === 'pass').length).toBeGreaterThanOrEqual(2);
    expect(result.targetLog?.some((l) => l.startsWith('reference hub running'))).toBe(true);
    expect(result.targetLog?.some((l) => l.includes('reference hub stopped')), 'SIGTERM made the hub stop cleanly').toBe(true);
  }, 60_000);

  test('a command that exits before it is ready fails the launch with its output', async () => {
    const d: TargetDescriptor = { launcher: 'process', provisioning: 'any', process: { command: 'sh', args: ['-c', 'echo boom; exit 3'], ready: { port: await freePort() } }, endpoints: { mqtt: 'mqtt://127.0.0.1:1' } };
    await expect(launch(d)).rejects.toThrow(/exited with code 3.*\n.*boom/s);
  });

  test('a command that never gets ready is stopped after readyTimeoutMs', async () => {
    const d: TargetDescriptor = { launcher: 'process', provisioning: 'any', process: { command: 'sleep', args: ['30'], ready: { log: 'never' }, readyTimeoutMs: 500 }, endpoints: { mqtt: 'mqtt://127.0.0.1:1' } };
    const t0 = Date.now();
    await expect(launch(d)).rejects.toThrow(/not ready within 500 ms \(waiting for a line matching \/never\/\)/);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  test('a hub killed mid-run ends the run promptly: remaining tests are errors carrying its last output', async () => {
    const t0 = Date.now();
    // Killed 3 s after it is ready: the suites below take far longer than that against a live hub.
    const { result, runErrors } = await runConformance({ target: await hubProcess(3000), files: ['suites/auth.test.ts', 'suites/acl.test.ts', 'suites/wildcards.test.ts', 'suites/limits.test.ts', 'suites/cloud-api.test.ts'], noReports: true, probe: false });
    const elapsed = Date.now() - t0;
    expect(runErrors.join('\n')).toMatch(/the hub stopped during the run: .*exited with code 137/);
    const errors = result.tests.filter((t) => t.verdict === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.error?.message).toMatch(/the hub stopped during the run/);
    expect(errors[0]!.evidence.some((e) => e.kind === 'log' && e.lines.some((l) => l.includes('[dies-after-ready] SIGKILL')))).toBe(true);
    expect(elapsed, 'the run ended promptly after the hub died').toBeLessThan(60_000);
  }, 90_000);
});

describe('descriptor fields of the new launchers', () => {
  const bad: [string, string, RegExp][] = [
    ['process without its block', 'launcher: process\nprovisioning: any\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', /process: missing; it is required/],
    ['process without a command', 'launcher: process\nprovisioning: any\nprocess: { args: [] }\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', /process\.command: missing/],
    ['a bad ready regex', 'launcher: process\nprovisioning: any\nprocess: { command: x, ready: { log: "(" } }\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', /process\.ready\.log: not a regular expression/],
    ['container without an image', 'launcher: container\nprovisioning: any\ncontainer: {}\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', /container\.image: missing/],
    ['fixtures without devices', 'launcher: external\nprovisioning: fixtures\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', /fixtures: missing; it is required/],
    ['a bad fixture product id', 'launcher: external\nprovisioning: fixtures\nfixtures: { devices: [{ productId: abc, deviceName: d, psk: a }] }\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', /fixtures\.devices\.0\.productId: expected ten upper-case letters or digits/],
    ['cloud-api provisioning without credentials', 'launcher: process\nprocess: { command: x }\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', /cloudApi: missing/],
  ];
  for (const [what, text, message] of bad) {
    test(`refuses ${what} with one line naming the field`, () => {
      expect(() => parseDescriptor(text, 't.yaml')).toThrow(message);
    });
  }

  test('provisioning any needs no cloud API, and the target then offers no cloud-api capability', async () => {
    const d = parseDescriptor('launcher: external\nprofile: mqtt-core\nprovisioning: any\nendpoints: { mqtt: "mqtt://127.0.0.1:1883" }', 't.yaml');
    expect(d.provisioning).toBe('any');
    const { resolveDescribed } = await import('../../src/target/described.js');
    const t = resolveDescribed(d, 'external', { mqtt: 'mqtt://127.0.0.1:1883' }, 'x');
    expect(t.capabilities).not.toContain('cloud-api');
    expect(t.endpoints.api).toBe('');
  });
});

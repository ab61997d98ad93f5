// The reference hub's image through the container launcher (testcontainers): the full suite passes, and containers are removed even when a launch fails. Required when CI=true; skipped where no Docker engine answers.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { runConformance } from '../../src/runner/run.js';
import { launch } from '../../src/target/launch.js';
import { LAUNCH_LABEL } from '../../src/target/container.js';
import { freePort } from '../../src/target/shortcut.js';

/** The image .ci/run builds (docker/build.sh); HUBCHECK_HUB_IMAGE overrides. */
const IMAGE = process.env.HUBCHECK_HUB_IMAGE ?? 'hubcheck/hub:dev';
const inCi = process.env.CI === 'true';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
}

function engineAnswers(): boolean {
  try { docker('version', '--format', '{{.Server.Version}}'); return true; } catch { return false; }
}

const available = engineAnswers();
const leftovers = () => docker('ps', '-a', '--filter', `label=${LAUNCH_LABEL}`, '--format', '{{.ID}}').trim();

describe.skipIf(!available && !inCi)(available || inCi ? `hub image ${IMAGE}` : 'hub image (skipped: no Docker engine answers; set DOCKER_HOST, or run with CI=true to require it)', () => {
  test(`the whole suite passes against docker:${IMAGE}, and the container is removed`, async () => {
    if (!available) throw new Error('no Docker engine answers, and CI=true requires this test: see .ci/run (docker/engine.sh start)');
    const { result, runErrors, hub } = await runConformance({ target: `docker:${IMAGE}`, noReports: true });
    expect(runErrors).toEqual([]);
    // what certify records as the hub's identity: the image as named and the engine's id for it
    expect(hub).toMatchObject({ launcher: 'container', image: { ref: IMAGE, id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) } });
    const bad = result.tests.filter((t) => t.verdict === 'fail' || t.verdict === 'error').map((t) => `${t.name}: ${t.error?.message.split('\n')[0]}`);
    expect(bad).toEqual([]);
    expect(result.target.launcher).toBe('container');
    expect(result.findings).toEqual([]);
    expect(result.targetLog?.some((l) => l.startsWith('reference hub running'))).toBe(true);
    expect(leftovers()).toBe('');
  }, 600_000);

  test('a container that never gets ready is removed and the error carries its output', async () => {
    if (!available) throw new Error('no Docker engine answers, and CI=true requires this test');
    const port = await freePort();
    const attempt = launch({
      launcher: 'container', provisioning: 'any',
      container: { image: IMAGE, network: 'host', env: { HUB_MQTT_PORT: String(port), HUB_WS_PORT: '0', HUB_API_PORT: '0', HUB_TLS_PORT: '0', HUB_WSS_PORT: '0' }, ready: { log: 'a line the hub never prints' }, readyTimeoutMs: 3000 },
      endpoints: { mqtt: `mqtt://127.0.0.1:${port}` },
    });
    await expect(attempt).rejects.toThrow(/container\.image .+: /);
    expect(leftovers()).toBe('');
  }, 60_000);

  test('an image that is not there fails at once without pulling', async () => {
    if (!available) throw new Error('no Docker engine answers, and CI=true requires this test');
    await expect(launch({ launcher: 'container', provisioning: 'any', container: { image: 'hubcheck/no-such-image:none' }, endpoints: { mqtt: 'mqtt://127.0.0.1:1883' } })).rejects.toThrow(/container\.image hubcheck\/no-such-image:none/);
    expect(leftovers()).toBe('');
  }, 60_000);
});

// The reference hub's image as a cluster of containers against one Redis, as docker/compose.yaml's cluster profile
// runs it: two containers of hubcheck/hub:dev (host network, one registry folder mounted in both, a private Redis on
// 127.0.0.1) share sessions, routing and the registry. The compose file's cluster services are checked against the
// hub's own option parser. Required when CI=true; skipped where no Docker engine answers or redis-server is missing.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { parseHubArgs } from '../../hub/main.js';
import { freePorts, ROOT } from '../cli/helpers.js';
import { SessionClient } from '../hub/durable-process.js';
import { callApi, provision } from '../hub/helpers.js';
import { redisMissing, usePrivateRedis } from '../hub/redis-server.js';
import type { RunningHub } from '../../hub/index.js';

const IMAGE = process.env.HUBCHECK_HUB_IMAGE ?? 'hubcheck/hub:dev';
const inCi = process.env.CI === 'true';
const LABEL = 'hubcheck.test=hub-cluster';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}
function engineAnswers(): boolean {
  try { docker('version', '--format', '{{.Server.Version}}'); return true; } catch { return false; }
}

test('the cluster services of docker/compose.yaml are cluster workers the hub accepts', () => {
  const compose = parse(readFileSync(path.join(ROOT, 'docker/compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, string>; volumes?: string[]; profiles?: string[]; image?: string }> };
  const hubs = Object.entries(compose.services).filter(([name]) => /^hub-\d+$/.test(name));
  expect(hubs.length).toBeGreaterThanOrEqual(2);
  const names = new Set<string>();
  for (const [name, svc] of hubs) {
    expect(svc.profiles, name).toEqual(['cluster']);
    expect(svc.volumes, `${name} mounts the shared registry`).toContain('registry:/data');
    const p = parseHubArgs([], svc.environment ?? {});
    expect(p.options.cluster?.workerId, `${name}: HUB_CLUSTER_WORKER`).toBe(name);
    expect(p.options.redisUrl, `${name}: HUB_REDIS`).toBe('redis://redis:6379/0');
    expect(path.posix.dirname(p.options.dataFile ?? ''), `${name}: HUB_DATA on the shared volume`).toBe('/data');
    names.add(p.options.cluster!.workerId);
  }
  expect(names.size, 'every worker has its own name').toBe(hubs.length);
  expect(readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8'), 'the image prepares /data for the uid it runs as').toMatch(/mkdirSync\('\/data'.*chownSync\('\/data', 1000, 1000\)/);
});

const available = engineAnswers();
const missing = redisMissing();

describe.skipIf((!available || missing !== undefined) && !inCi)('the hub image as two cluster containers', () => {
  const redis = missing ? { url: '' } : usePrivateRedis();
  const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-cluster-volume-'));
  chmodSync(dir, 0o777); // the image runs as uid 1000
  afterAll(() => {
    try { docker('rm', '-f', ...docker('ps', '-aq', '--filter', `label=${LABEL}`).split('\n').filter(Boolean)); } catch { /* none left */ }
    rmSync(dir, { recursive: true, force: true });
  });

  async function container(name: string): Promise<RunningHub> {
    const [mqtt, api] = await freePorts(2);
    docker('run', '-d', '--rm', '--name', `hubcheck-test-${name}-${process.pid}`, '--label', LABEL, '--network', 'host', '-v', `${dir}:/data`,
      '-e', `HUB_MQTT_PORT=${mqtt}`, '-e', `HUB_API_PORT=${api}`, '-e', 'HUB_WS_PORT=0', '-e', 'HUB_TLS_PORT=0', '-e', 'HUB_WSS_PORT=0', '-e', 'HUB_HOST=127.0.0.1',
      '-e', 'HUB_SECRET_ID=AKIDcluster', '-e', 'HUB_SECRET_KEY=cluster-secret', '-e', `HUB_REDIS=${redis.url.replace(/\/0$/, '/3')}`, '-e', 'HUB_DATA=/data/registry.sqlite',
      '-e', `HUB_CLUSTER_WORKER=${name}`, IMAGE);
    const end = Date.now() + 60_000;
    const id = `hubcheck-test-${name}-${process.pid}`;
    while (!docker('logs', id).includes('press Ctrl-C to stop')) {
      if (Date.now() > end) throw new Error(`container ${name} did not start:\n${docker('logs', id)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { endpoints: { mqtt: `mqtt://127.0.0.1:${mqtt}`, api: `http://127.0.0.1:${api}` }, credentials: { secretId: 'AKIDcluster', secretKey: 'cluster-secret' } } as unknown as RunningHub;
  }

  test('a device on one container gets what is published through the other, and a login on the other takes its session over', async () => {
    if (!available) throw new Error('no Docker engine answers, and CI=true requires this test: see .ci/run (docker/engine.sh start)');
    if (missing) throw new Error(`CI=true requires this test: ${missing}`);
    const a = await container('hub-1');
    const b = await container('hub-2'); // after the first: it created the registry's CA
    const [d] = await provision(a, ['dev']);
    const topic = `${d!.productId}/${d!.deviceName}/data`;
    const s1 = await SessionClient.open(a, d!, { autoAck: true });
    await s1.subscribe(topic, 1, 10);
    expect((await callApi(b, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: topic, Payload: 'via-hub-2', Qos: 1 })).Response.Error).toBeUndefined();
    expect(await s1.pump(() => s1.deliveries.some((m) => m.payload === 'via-hub-2'), 10_000), 'published through hub-2, delivered by hub-1').toBe(true);
    const s2 = await SessionClient.open(b, d!, { autoAck: true });
    expect(s2.sessionPresent, 'the session moves to hub-2').toBe(true);
    expect(await s1.pump(() => s1.closed, 10_000), 'the login on hub-2 closes the connection on hub-1').toBe(true);
    await s2.disconnect();
  }, 180_000);
});

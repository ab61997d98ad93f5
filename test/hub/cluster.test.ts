// The rules a hub cluster (`hubcheck hub --workers 2 --redis URL`) must keep across its workers, each checked with the
// device on one worker and the cloud API or the other device on the other, through the workers' own ports: one session
// per device in the whole cluster, PublishMessage and stored messages whichever worker holds the device, disconnects
// of disabled devices, the shadow, and kill -9 of a worker costing only its own connections and no acknowledged message.

import { describe, expect, test } from 'vitest';
import { hubcheck } from '../cli/helpers.js';
import { api, callApi, connectDevice, inbox, provision } from './helpers.js';
import path from 'node:path';
import { SessionClient, useHubChildren } from './durable-process.js';
import { ackedSurviveKillOfWorker } from './cluster-scenarios.js';
import { startClusterChild, type ClusterChild } from './cluster-process.js';
import { redisMissing, usePrivateRedis } from './redis-server.js';

const missing = redisMissing();
if (missing) console.warn(`cluster: skipped: ${missing}`);

const topicOf = (d: { productId: string; deviceName: string }) => `${d.productId}/${d.deviceName}/data`;
/** Both placements: the device on one worker, the other worker acting. */
const PAIRS = [[0, 1], [1, 0]] as const;

describe.skipIf(missing !== undefined)('a 2-worker hub cluster', () => {
  const redis = usePrivateRedis();
  const { start: startHub, tempDir } = useHubChildren(['--offline-pace', '0']);
  let db = 0;
  const start = async (): Promise<ClusterChild> => startClusterChild(redis.url.replace(/\/0$/, `/${++db}`), 2, ['--offline-pace', '0', '--test-clock']);

  test('one session per device: a login through the other worker closes the older connection, and takes the session with its subscription', async () => {
    const c = await start();
    for (const [a, b] of PAIRS) {
      const [d] = await provision(c.hub, ['dev']);
      const s1 = await SessionClient.open(c.workers[a]!.hub, d!, { autoAck: true });
      await s1.subscribe(topicOf(d!), 1, 10);
      const s2 = await SessionClient.open(c.workers[b]!.hub, d!, { autoAck: true });
      expect(s2.sessionPresent, `the session made on worker ${a}, taken over on worker ${b}`).toBe(true);
      expect(await s1.pump(() => s1.closed, 5000), `the connection on worker ${a} is closed by the login on worker ${b}`).toBe(true);
      // the subscription came along: a message published through worker a's API reaches the device on worker b
      expect((await callApi(c.workers[a]!.hub, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: topicOf(d!), Payload: 'moved', Qos: 1 })).Response.Error).toBeUndefined();
      expect(await s2.pump(() => s2.deliveries.some((m) => m.payload === 'moved'), 5000)).toBe(true);
      await s2.disconnect();
    }
  }, 120_000);

  test('PublishMessage, DescribeDevice and the offline store work whichever worker serves the API and whichever holds the device', async () => {
    const c = await start();
    for (const [a, b] of PAIRS) {
      const [d] = await provision(c.hub, ['dev']);
      const s1 = await SessionClient.open(c.workers[a]!.hub, d!, { autoAck: true });
      await s1.subscribe(topicOf(d!), 1, 10);
      const other = c.workers[b]!.hub;
      expect((await api(other, 'DescribeDevice', { ProductID: d!.productId, DeviceName: d!.deviceName })).Online, `online on worker ${a}, asked on worker ${b}`).toBe(1);
      expect((await callApi(other, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: topicOf(d!), Payload: 'live', Qos: 1 })).Response.Error).toBeUndefined();
      expect(await s1.pump(() => s1.deliveries.some((m) => m.payload === 'live'), 5000), 'delivered live across workers').toBe(true);
      expect((await callApi(other, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: `${d!.productId}/${d!.deviceName}/other`, Payload: 'x', Qos: 1 })).Response.Error?.Code, 'online elsewhere but not subscribed').toBe('FailedOperation.DeviceNoSubscription');
      await s1.disconnect();
      for (let i = 1; i <= 5; i++) {
        const r = await callApi(other, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: topicOf(d!), Payload: `stored${i}`, Qos: 1 });
        expect(r.Response.Error?.Code, `PublishMessage ${i} to the offline device`).toBe('LimitExceeded.MessageSaved');
      }
      // back through the worker that stored them
      const s2 = await SessionClient.open(other, d!, { autoAck: true });
      expect(s2.sessionPresent).toBe(true);
      s2.send({ cmd: 'publish', topic: topicOf(d!), payload: 'barrier', qos: 1, messageId: 1 });
      expect(await s2.pump(() => s2.deliveries.some((m) => m.payload === 'barrier'), 5000)).toBe(true);
      expect(s2.deliveries.map((m) => m.payload), 'stored messages in order, then the barrier').toEqual(['stored1', 'stored2', 'stored3', 'stored4', 'stored5', 'barrier']);
      await s2.disconnect();
    }
  }, 120_000);

  test('a device disabled through one worker is disconnected on the other, and a shadow update through one is read through the other', async () => {
    const c = await start();
    for (const [a, b] of PAIRS) {
      const [d] = await provision(c.hub, ['dev']);
      const client = await connectDevice(c.workers[a]!.hub, d!);
      const got = inbox(client);
      await client.subscribeAsync(`$shadow/operation/result/${d!.productId}/${d!.deviceName}`, { qos: 0 });
      client.publish(`$shadow/operation/${d!.productId}/${d!.deviceName}`, JSON.stringify({ type: 'update', state: { reported: { on: a } }, version: 0, clientToken: 't' }));
      await got.wait(1, 5000);
      const shadow = await api(c.workers[b]!.hub, 'DescribeDeviceShadow', { ProductId: d!.productId, DeviceName: d!.deviceName });
      expect(JSON.parse(shadow.Data as string).payload.state.reported, `reported on worker ${a}, read on worker ${b}`).toEqual({ on: a });
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      await api(c.workers[b]!.hub, 'UpdateDeviceAvailableState', { ProductId: d!.productId, DeviceName: d!.deviceName, EnableState: 0 });
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`the device on worker ${a} was not disconnected`)), 5000))]);
      client.end(true);
    }
  }, 120_000);

  test('hubs started separately with --cluster-worker (as containers are) share sessions, routing and disconnects', async () => {
    const url = redis.url.replace(/\/0$/, `/${++db}`);
    const file = path.join(tempDir(), 'registry.sqlite'); // on a volume every container mounts
    const a = await startHub(file, ['--cluster-worker', 'hub-a', '--redis', url]);
    const b = await startHub(file, ['--cluster-worker', 'hub-b', '--redis', url]);
    expect(b.hub.credentials, 'one registry: the second hub serves the credentials the first created').toEqual(a.hub.credentials);
    const [d] = await provision(a.hub, ['dev']);
    const s1 = await SessionClient.open(a.hub, d!, { autoAck: true });
    await s1.subscribe(topicOf(d!), 1, 10);
    expect((await callApi(b.hub, 'PublishMessage', { ProductId: d!.productId, DeviceName: d!.deviceName, Topic: topicOf(d!), Payload: 'via-b', Qos: 1 })).Response.Error).toBeUndefined();
    expect(await s1.pump(() => s1.deliveries.some((m) => m.payload === 'via-b'), 5000), 'published through hub b, delivered by hub a').toBe(true);
    const s2 = await SessionClient.open(b.hub, d!, { autoAck: true });
    expect(s2.sessionPresent).toBe(true);
    expect(await s1.pump(() => s1.closed, 5000), 'the login on hub b closes the connection on hub a').toBe(true);
    await s2.disconnect();
  }, 120_000);

  test('a cluster whose Redis cannot be reached stops at start, naming the URL and the fix', async () => {
    const closed = new URL(redis.url);
    closed.port = String(Number(closed.port) === 65535 ? 65534 : Number(closed.port) + 1); // nothing listens there
    const r = await hubcheck(['hub', '--workers', '2', '--redis', closed.href, '--mqtt-port', '0', '--ws-port', '0', '--tls-port', '0', '--wss-port', '0', '--api-port', '0', '--https-port', '0'], 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--redis ${closed.href}: cannot reach Redis`);
    expect(r.stderr).toContain('start redis-server there or give the right URL');
  }, 60_000);

  test('kill -9 of one worker during a QoS 1 run costs only its own connections and no acknowledged message', async () => {
    const c = await start();
    await ackedSurviveKillOfWorker(c, 0);
  }, 180_000);
});

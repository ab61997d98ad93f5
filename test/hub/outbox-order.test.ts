// The outbox of hub/qos: deliveries to one connection leave in the order they were routed, whatever their QoS, and a
// connection that stops reading neither grows the hub's memory without bound nor stalls routing for anyone else.
// Driven on Aedes itself (no hub around it), so messages can be routed in one event-loop turn, as a cluster does when
// it reads several from Redis at once.

import { Aedes, type AedesPublishPacket } from 'aedes';
import { createServer, type Server } from 'node:net';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createClock } from '../../hub/clock.js';
import { parseFaults } from '../../hub/faults.js';
import { MAX_QOS0_BACKLOG_BYTES } from '../../hub/limits.js';
import { createQos, type Qos } from '../../hub/qos/index.js';
import { RawClient } from './helpers.js';

let broker: Aedes;
let qos: Qos;
let server: Server;
let port: number;
const logged: string[] = [];
const clients: RawClient[] = [];

beforeEach(async () => {
  logged.length = 0;
  qos = createQos({ clock: createClock(), faults: parseFaults(), log: (l) => logged.push(l) });
  broker = await Aedes.createBroker();
  await qos.install(broker);
  broker.on('client', (c) => qos.attach(c));
  server = createServer((s) => broker.handle(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await qos.close();
});

async function subscriber(id: string, filters: [string, 0 | 1][]): Promise<RawClient> {
  const c = await RawClient.open(port);
  clients.push(c);
  expect(await c.connect({ clientId: id })).toBe(0);
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: filters.map(([topic, q]) => ({ topic, qos: q })) });
  const suback = await c.next();
  expect(suback?.cmd).toBe('suback');
  return c;
}

const publish = (topic: string, payload: Buffer | string, q: 0 | 1) =>
  broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: q, retain: false, dup: false } as AedesPublishPacket, () => {});

/** The payloads of the next n PUBLISH packets (PUBACKing QoS 1 ones). */
async function received(c: RawClient, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const p = await c.next(5000);
    if (!p) throw new Error(`only ${out.length} of ${n} deliveries came (the last: ${out.slice(-3).join(', ')})`);
    if (p.cmd !== 'publish') continue;
    if (p.qos === 1) c.send({ cmd: 'puback', messageId: p.messageId });
    out.push(p.payload.length > 100 ? `big:${p.payload.length}` : p.payload.toString());
  }
  return out;
}

test('a QoS 0 and a QoS 1 message routed in one turn leave in that order, on QoS 1 and QoS 0 subscriptions', async () => {
  const c = await subscriber('orders', [['big', 1], ['sync', 1], ['low', 0]]);
  for (let round = 0; round < 20; round++) {
    publish('big', Buffer.alloc(16_000, 0x61), 0); // a QoS 0 message on a QoS 1 subscription
    publish('sync', `marker-${round}`, 1);
    publish('low', `low-${round}`, 1); // a QoS 1 message on a QoS 0 subscription: delivered at QoS 0
    publish('sync', `after-${round}`, 1);
    expect(await received(c, 4), `round ${round}`).toEqual(['big:16000', `marker-${round}`, `low-${round}`, `after-${round}`]);
  }
});

test('a connection that stops reading gets QoS 0 messages only up to the backlog bound, and routing goes on for others', async () => {
  const stuck = await subscriber('stuck', [['flood', 0]]);
  stuck.socket.pause(); // reads nothing more: the kernel's buffers fill, then the hub's
  const other = await subscriber('other', [['flood', 0], ['other', 1]]);
  const hubSide = (id: string) => (broker as unknown as { clients: Record<string, { conn: { writableLength: number } }> }).clients[id]!.conn;
  const payload = Buffer.alloc(16_000, 0x62);
  let peak = 0;
  const FLOOD = 1500; // 24 MB: far past the loopback socket buffers and the bound
  for (let i = 0; i < FLOOD; i++) {
    publish('flood', payload, 0);
    peak = Math.max(peak, hubSide('stuck').writableLength);
    // the other subscriber reads as it goes: all written to it has left the hub before the flood goes on
    if (i % 10 === 9) while (hubSide('other').writableLength > 0) await new Promise((resolve) => setImmediate(resolve));
  }
  publish('other', 'still routed', 1);
  const got = await received(other, FLOOD + 1);
  expect(got.slice(0, FLOOD).every((p) => p === 'big:16000')).toBe(true);
  expect(got[FLOOD]).toBe('still routed');
  expect(peak, 'bytes the hub holds for the stuck connection').toBeLessThanOrEqual(MAX_QOS0_BACKLOG_BYTES + 16_100);
  expect(peak, 'the flood reached the bound (the test filled the socket)').toBeGreaterThan(MAX_QOS0_BACKLOG_BYTES - 16_100);
  expect(logged.filter((l) => l.includes('stuck has') && l.includes('dropped')).length, 'one log line per backlog episode').toBe(1);
});

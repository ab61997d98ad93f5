// A device that stops reading its socket costs the hub a bounded buffer and itself its QoS 0 messages, nothing more:
// routing, broadcasts to its product and the other devices go on.

import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { api, login, portOf, provision, RawClient, type Device } from './helpers.js';

let hub: RunningHub;
let stuckDev: Device;
let readerDev: Device;
const logged: string[] = [];
const open: RawClient[] = [];

beforeAll(async () => {
  hub = await startHub({ log: (l) => logged.push(l) });
  [stuckDev, readerDev] = (await provision(hub, ['stuck', 'reader'])) as [Device, Device];
});
afterAll(async () => {
  for (const c of open) c.close();
  await hub.close();
});

async function device(d: Device, filters: string[]): Promise<RawClient> {
  const c = await RawClient.open(portOf(hub.endpoints.mqtt));
  open.push(c);
  expect(await c.connect(login(d))).toBe(0);
  c.send({ cmd: 'subscribe', messageId: 1, subscriptions: filters.map((topic) => ({ topic, qos: 0 })) });
  expect((await c.next())?.cmd).toBe('suback');
  return c;
}

/** Resolves with the API's answer, or rejects when none came within ms (a hung action). */
function answered(action: string, params: unknown, ms = 5000): Promise<Record<string, unknown>> {
  return Promise.race([
    api(hub, action, params),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${action} did not answer within ${ms} ms`)), ms).unref()),
  ]);
}

test('a device that stops reading gets no more QoS 0 past the backlog bound; broadcasts to its product still answer and reach the others', async () => {
  const pid = stuckDev.productId;
  const own = `${pid}/stuck/data`;
  const stuck = await device(stuckDev, [own, `$broadcast/rxd/${pid}/stuck`]);
  const reader = await device(readerDev, [`$broadcast/rxd/${pid}/reader`, `${pid}/reader/data`]);
  stuck.socket.pause(); // it still writes, but reads nothing more
  const payload = Buffer.alloc(16_000, 0x63);
  // Its own messages come back to it until the kernel's buffers and then the hub's bound are full.
  for (let i = 0; i < 1500 && !logged.some((l) => l.includes('unread; QoS 0 messages to it are dropped')); i++) {
    stuck.send({ cmd: 'publish', topic: own, payload, qos: 0 });
    if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
  }
  await expect.poll(() => logged.some((l) => l.includes(`${pid}stuck has`) && l.includes('QoS 0 messages to it are dropped')), { timeout: 20_000 }).toBe(true);

  for (const text of ['first', 'second']) {
    expect(await answered('PublishBroadcastMessage', { ProductId: pid, Payload: text, Qos: 0 }), `broadcast "${text}" answered`).toHaveProperty('TaskId');
    let got;
    while ((got = await reader.next(5000)) && got.cmd !== 'publish');
    expect(got && got.cmd === 'publish' && got.payload.toString(), `the reading device gets "${text}"`).toBe(text);
  }
  expect(logged.some((l) => l.includes('did not get a QoS 0 broadcast'))).toBe(true);
  // and the hub still routes for the reading device
  reader.send({ cmd: 'publish', topic: `${pid}/reader/data`, payload: 'still routed', qos: 0 });
  let back;
  while ((back = await reader.next(5000)) && back.cmd !== 'publish');
  expect(back && back.cmd === 'publish' && back.payload.toString()).toBe('still routed');
}, 60_000);

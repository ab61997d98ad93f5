// Bad input never crashes the hub: random bytes and mangled packets on the MQTT port, then a normal login still works.

import { fc, test } from '@fast-check/vitest';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, expect } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { login, portOf, provision, RawClient, type Device } from './helpers.js';

let hub: RunningHub;
let dev: Device;

beforeAll(async () => {
  hub = await startHub();
  [dev] = (await provision(hub, ['fuzz'])) as [Device];
});
afterAll(() => hub.close());

const connectBytes = () => {
  const l = login(dev);
  return mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, ...l, password: Buffer.from(l.password) } as any);
};

async function blast(bytes: Buffer): Promise<void> {
  const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
  raw.write(bytes);
  await raw.next(50);
  raw.close();
}

test.prop([fc.uint8Array({ minLength: 1, maxLength: 300 })], { numRuns: 40 })('random bytes', async (bytes) => {
  await blast(Buffer.from(bytes));
});

test.prop([fc.uint8Array({ minLength: 1, maxLength: 120 }), fc.nat()], { numRuns: 40 })(
  'a valid CONNECT followed by random bytes, or a CONNECT with one byte changed',
  async (tail, pos) => {
    const c = Buffer.from(connectBytes());
    await blast(Buffer.concat([c, Buffer.from(tail)]));
    const mangled = Buffer.from(c);
    mangled[pos % mangled.length] = tail[0]!;
    await blast(mangled);
  },
);

test('the hub still accepts a normal login afterwards', async () => {
  const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
  expect(await raw.connect(login(dev))).toBe(0);
  raw.close();
});

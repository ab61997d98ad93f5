// Persistent sessions (CleanSession = 0): SessionPresent, stored subscriptions and messages, redelivery with DUP, takeover (profile mqtt-core).
import { describe, expect } from 'vitest';
import type { Packet } from 'mqtt-packet';
import { RawConnection } from '../../src/client/raw.js';
import { loginFor } from '../../src/target/provisioning.js';
import { req, type Harness } from '../support/harness.js';
import { useProduct, type DeviceCredentials } from '../support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from '../support/wire.js';
import { ghostDeliveries } from '../qos/barriers.js';
import { dataTopic, login } from './support.js';

const product = useProduct('core_sess', { devices: ['s15', 's16', 's17', 'p17', 's18', 's19', 's24'] });

/** Starts from no stored session: a CleanSession = 1 login discards whatever an earlier run left. */
async function fresh(h: Harness, creds: DeviceCredentials): Promise<void> {
  await (await login(h, creds, { clean: true, label: 'wipe' })).end();
}

describe('persistent sessions', () => {
  req(['QOS-015'], 'SessionPresent is 0 on a first CleanSession = 0 login, 1 on the next, 0 with CleanSession = 1', async (h) => {
    const creds = product.device('s15');
    await fresh(h, creds);
    const first = await login(h, creds, { clean: false });
    expect(first.sessionPresent, 'first CleanSession = 0 login').toBe(false);
    await first.end();
    const second = await login(h, creds, { clean: false });
    expect(second.sessionPresent, 'second CleanSession = 0 login').toBe(true);
    await second.end();
    const clean = await login(h, creds, { clean: true });
    expect(clean.sessionPresent, 'CleanSession = 1 login').toBe(false);
  });

  req(['QOS-016'], 'subscriptions survive a disconnect', async (h) => {
    const creds = product.device('s16');
    const topic = dataTopic(creds);
    await fresh(h, creds);
    const a = await login(h, creds, { clean: false });
    expect(await a.subscribe(topic, 1)).toBe(1);
    await a.end();
    const b = await login(h, creds, { clean: false });
    // No SUBSCRIBE on this connection: the marker can only come back through the stored subscription.
    await selfLoop(b, topic);
  });

  req(['QOS-017'], 'QoS 1 messages published while the client is away are delivered on return; QoS 0 ones are not', async (h) => {
    if (h.target.capabilities.includes('topic-acl')) return h.ctx.skip('needs a second client publishing on the device\'s topic, which per-device topic ACLs forbid; the qos-sessions suites cover it there');
    const creds = product.device('s17');
    const topic = dataTopic(creds);
    await fresh(h, creds);
    const a = await login(h, creds, { clean: false });
    expect(await a.subscribe(topic, 1)).toBe(1);
    await a.end();
    const pub = await login(h, product.device('p17'));
    // The publisher subscribes to the topic too: once its own copies are back, the hub has routed all three (one
    // topic, one publisher: routed in order), so none can reach the returning session live instead of stored.
    expect(await pub.subscribe(topic, 1)).toBe(1);
    await pub.publish(topic, 'offline-qos1', 1);
    await pub.publish(topic, 'offline-qos0', 0);
    await pub.publish(topic, 'offline-last', 1);
    expect(await pub.conn.until(() => ['offline-qos0', 'offline-last'].every((p) => pub.messages.some((m) => m.payload.toString() === p)), ROUND_TRIP_LIMIT_MS), 'the publisher receives its own messages').toBe(true);
    const b = await login(h, creds, { clean: false });
    // A stored message can arrive in the same read as CONNACK, before the session's handler is attached: count those too.
    const payloads = () => [...b.conn.pending.filter((p): p is Packet & { cmd: 'publish' } => p.cmd === 'publish'), ...b.messages].map((m) => Buffer.from(m.payload).toString());
    expect(await b.conn.until(() => payloads().includes('offline-last'), ROUND_TRIP_LIMIT_MS), 'the last stored message').toBe(true);
    expect(payloads()).toContain('offline-qos1');
    expect(payloads()).not.toContain('offline-qos0');
  });

  req(['QOS-018'], 'a QoS 1 message not acknowledged before a disconnect is sent again with DUP = 1 and its original packet identifier', async (h) => {
    const creds = product.device('s18');
    const topic = dataTopic(creds);
    await fresh(h, creds);
    // A raw session that never acknowledges what it receives.
    const open = async (label: string) => {
      const conn = await RawConnection.open(h.target.endpoints.mqtt, { label, trace: h.trace });
      const l = loginFor(h.target, creds);
      conn.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: false, keepalive: 60, ...l, ...(l.password !== undefined ? { password: Buffer.from(l.password) } : {}) });
      const ack = await conn.next(ROUND_TRIP_LIMIT_MS);
      if (ack?.cmd !== 'connack' || ack.returnCode !== 0) throw new Error(`login refused: ${ack?.cmd ?? 'no answer'}`);
      return conn;
    };
    const nextPublish = async (conn: RawConnection): Promise<Packet & { cmd: 'publish' } | undefined> => {
      for (let i = 0; i < 10; i++) {
        const p = await conn.next(ROUND_TRIP_LIMIT_MS);
        if (!p) return undefined;
        if (p.cmd === 'publish') return p;
      }
      return undefined;
    };
    const a = await open('unacked');
    a.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    a.send({ cmd: 'publish', topic, payload: Buffer.from('resend-me'), qos: 1, retain: false, dup: false, messageId: 2 });
    const first = await nextPublish(a);
    expect(first?.payload.toString(), 'first delivery').toBe('resend-me');
    a.close(); // no PUBACK, no DISCONNECT
    await a.closed;
    const b = await open('returning');
    const again = await nextPublish(b);
    b.close();
    expect(again?.payload.toString(), 'redelivery').toBe('resend-me');
    expect(again?.dup, 'DUP flag of the redelivery').toBe(true);
    expect(again?.messageId, 'packet identifier of the redelivery (MQTT-4.4.0-1: the original one)').toBe(first?.messageId);
  });

  req(['QOS-019'], 'CleanSession = 1 discards the stored session and its subscriptions', async (h) => {
    const creds = product.device('s19');
    const topic = dataTopic(creds);
    await fresh(h, creds);
    const a = await login(h, creds, { clean: false });
    expect(await a.subscribe(topic, 1)).toBe(1);
    await a.end();
    const b = await login(h, creds, { clean: true });
    expect(b.sessionPresent).toBe(false);
    // A probe at QoS 1 that comes back at QoS 1 went through the discarded QoS 1 subscription (see ghostDeliveries).
    expect(await ghostDeliveries(b, topic), 'delivered through a discarded subscription').toEqual([]);
    await b.end();
    const c = await login(h, creds, { clean: false });
    expect(c.sessionPresent, 'CleanSession = 0 after a CleanSession = 1 session').toBe(false);
  });

  req(['QOS-024'], 'a second CleanSession = 0 login takes over the session and the older connection is closed', async (h) => {
    const creds = product.device('s24');
    const topic = dataTopic(creds);
    await fresh(h, creds);
    const a = await login(h, creds, { clean: false, label: 'older' });
    expect(await a.subscribe(topic, 1)).toBe(1);
    const b = await login(h, creds, { clean: false, label: 'newer' });
    expect(b.sessionPresent, 'SessionPresent of the new connection').toBe(true);
    expect(await a.closesWithin(ROUND_TRIP_LIMIT_MS), 'older connection closed').toBe(true);
    await selfLoop(b, topic);
  });
});

// Fault probes for persistent sessions, the offline queue and the in-flight window (used by faults.test.ts; true = the hub conforms).
// Each probe leaves the device without a session (a CleanSession = 1 login at the end), so probes do not see each other's state.

import type { RunningHub } from '../../hub/index.js';
import { Device as Session } from '../../src/client/device.js';
import { callApi, login, type Device } from './helpers.js';

type Probe = (hub: RunningHub, a: Device, b: Device) => Promise<boolean>;

const topic = (d: Device) => `${d.productId}/${d.deviceName}/data`;
const open = (hub: RunningHub, d: Device, clean: boolean, autoAck = true) => Session.connect(hub.endpoints.mqtt, { ...login(d), clean, autoAck });

async function offline(hub: RunningHub, d: Device): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await callApi(hub, 'DescribeDevice', { ProductID: d.productId, DeviceName: d.deviceName });
    if (r.Response.Online === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A persistent session subscribed to data at QoS 1, left offline. */
async function storedSession(hub: RunningHub, d: Device): Promise<void> {
  await (await open(hub, d, true)).end();
  const s = await open(hub, d, false);
  await s.subscribe(topic(d), 1);
  await s.end();
  await offline(hub, d);
}

const cloud = (hub: RunningHub, d: Device, payload: string, qos: 0 | 1) =>
  callApi(hub, 'PublishMessage', { ProductId: d.productId, DeviceName: d.deviceName, Topic: topic(d), Payload: payload, Qos: qos });

/** Reconnects with CleanSession = 0, lets `settle` decide what arrived, then discards the session. */
async function reconnect(hub: RunningHub, d: Device, judge: (s: Session) => Promise<boolean>): Promise<boolean> {
  const s = await open(hub, d, false);
  try {
    return await judge(s);
  } finally {
    await s.end();
    await (await open(hub, d, true)).end();
    await offline(hub, d);
  }
}

/** A QoS 0 marker through the device's own topic: whatever the hub sent before it has arrived. */
async function marker(s: Session, d: Device): Promise<void> {
  await s.publish(topic(d), 'probe-marker', 0);
  await s.waitFor((m) => m.payload.toString() === 'probe-marker', 2000);
}

export const QOS_PROBES: Record<string, Probe> = {
  'forget-session': async (hub, a) => {
    await storedSession(hub, a);
    return reconnect(hub, a, async (s) => s.sessionPresent);
  },
  'drop-offline-qos1': async (hub, a) => {
    await storedSession(hub, a);
    await cloud(hub, a, 'stored', 1);
    // no session at all is forget-session's business, not this probe's
    return reconnect(hub, a, async (s) => !s.sessionPresent || (await s.waitFor((m) => m.payload.toString() === 'stored', 2000)) !== undefined);
  },
  'store-qos0-offline': async (hub, a) => {
    await storedSession(hub, a);
    await cloud(hub, a, 'qos0', 0);
    return reconnect(hub, a, async (s) => {
      await marker(s, a);
      return !s.messages.some((m) => m.payload.toString() === 'qos0');
    });
  },
  'reorder-offline-queue': async (hub, a) => {
    await storedSession(hub, a);
    await cloud(hub, a, 'first', 1);
    await cloud(hub, a, 'second', 1);
    return reconnect(hub, a, async (s) => {
      await s.conn.until(() => s.received(topic(a)).length >= 2, 3000);
      const got = s.received(topic(a)).map((m) => m.payload.toString());
      return !(got.length === 2 && got[0] === 'second');
    });
  },
  'no-dup-on-redelivery': async (hub, a) => {
    await (await open(hub, a, true)).end();
    const s = await open(hub, a, false, false);
    await s.subscribe(topic(a), 1);
    await s.publish(topic(a), 'unacked', 1);
    await s.waitFor((m) => m.payload.toString() === 'unacked', 2000);
    await s.end();
    await offline(hub, a);
    return reconnect(hub, a, async (r) => {
      const again = await r.waitFor((m) => m.payload.toString() === 'unacked', 2000);
      return !r.sessionPresent || again === undefined || again.dup;
    });
  },
  'ignore-inflight-limit': async (hub, a) => {
    const s = await open(hub, a, true, false);
    try {
      await s.subscribe(topic(a), 1);
      const sent = Array.from({ length: 151 }, (_, i) => s.publishTracked(topic(a), `w${i}`));
      await s.conn.until(() => sent.every((x) => x.acked()), 3000);
      await s.conn.until(() => s.received(topic(a)).length >= 150, 3000);
      await marker(s, a);
      return s.received(topic(a)).filter((m) => m.qos === 1).length <= 150;
    } finally {
      await s.end();
    }
  },
};

/**
 * The probe: measures what the target really accepts — topic length, packet size, keepalive, QoS
 * granted for QoS 2, the QoS 1 inflight window, retain and will — with one logged-in device. Every
 * step is bounded in attempts and time; what cannot be measured is said in `notes`, never guessed.
 */
import { CoapDevice } from '../client/coap.js';
import { Device, LoginRefused } from '../client/device.js';
import { RawConnection } from '../client/raw.js';
import { payloadForPacket } from '../protocol/topics.js';
import type { MeasuredBound, ProbeResult } from '../report/model.js';
import { loginFor, type DeviceCredentials } from '../target/provisioning.js';
import type { ResolvedTarget } from '../target/resolved.js';
import { largestAccepted } from './search.js';

/** Search caps: MQTT's own topic maximum, and 1 MiB for packets (a hub accepting that much has no practical 16 KB limit). */
export const TOPIC_CAP = 65535;
export const PACKET_CAP = 1024 * 1024;
export const KEEPALIVE_CAP = 65535;
/** Messages sent to a subscriber that acknowledges none: above the documented window of 150. */
export const INFLIGHT_SENT = 200;
/**
 * CoAP publish payloads: the documented limit (protocol.md limits table, 1 KB), and a search cap of twice that (a hub
 * may drop larger datagrams unanswered, and each costs ANSWER_MS).
 */
export const COAP_PAYLOAD_BYTES = 1024;
export const COAP_PAYLOAD_CAP = 2048;
/** How long to wait for something that may never come (a will, the last inflight delivery). */
const QUIET_MS = 1500;
const ANSWER_MS = 3000;

export interface ProbeDevices { main: DeviceCredentials; observer: DeviceCredentials }

export async function measure(target: ResolvedTarget, devices: ProbeDevices, log: (line: string) => void = () => {}): Promise<ProbeResult> {
  const started = Date.now();
  const notes: string[] = [];
  const result: ProbeResult = { durationMs: 0, notes };
  const { main, observer } = devices;
  const base = `${main.productId}/${main.deviceName}/`;
  const connect = (o: { keepalive?: number; creds?: DeviceCredentials } = {}) =>
    Device.connect(target.endpoints.mqtt, { ...loginFor(target, o.creds ?? main), keepalive: o.keepalive ?? 60, answerTimeoutMs: ANSWER_MS, label: 'probe' });

  // Is a QoS 1 PUBLISH of this topic and payload accepted? Judged by its PUBACK arriving before a later marker's.
  const publishAccepted = async (topic: string, payload: Buffer): Promise<boolean> => {
    const d = await connect();
    try {
      const sent = d.publishTracked(topic, payload);
      try { await d.publish(`${base}p`, 'marker', 1); } catch { return sent.acked(); }
      return sent.acked() && d.isOpen;
    } finally {
      await d.end();
    }
  };

  const step = async (name: string, fn: () => Promise<void>) => {
    const t = Date.now();
    try { await fn(); } catch (e) { notes.push(`${name}: not measured (${(e as Error).message.split('\n')[0]})`); }
    log(`probe ${name}: ${Date.now() - t} ms`);
  };

  await step('login', async () => { await (await connect()).end(); });
  if (notes.length) { result.durationMs = Date.now() - started; return result; } // nothing else can work

  await step('topic length', async () => {
    const min = Buffer.byteLength(base) + 1;
    const hint = target.limits.topicBytes;
    result.topicBytes = await largestAccepted(min, TOPIC_CAP, (n) => publishAccepted(base + 'a'.repeat(n - Buffer.byteLength(base)), Buffer.from('t')), hint);
  });

  await step('packet size', async () => {
    const topic = `${base}big`;
    const min = payloadPacket(topic, 64);
    result.packetBytes = await largestAccepted(min, PACKET_CAP, async (size) => {
      let payload: number;
      try { payload = payloadForPacket(topic, size, 1); } catch { payload = payloadForPacket(topic, size - 1, 1); } // sizes next to a length-byte step
      return publishAccepted(topic, Buffer.alloc(payload, 0x61));
    }, target.limits.packetBytes);
  });

  await step('keepalive', async () => {
    result.keepaliveMaxSeconds = await largestAccepted(0, KEEPALIVE_CAP, async (k) => {
      try { await (await connect({ keepalive: k })).end(); return true; } catch (e) { if (e instanceof LoginRefused) return false; throw e; }
    }, target.limits.keepaliveMaxSeconds);
  });

  await step('QoS 2', async () => {
    const d = await connect();
    try { result.grantedQosForQos2 = await d.subscribe(`${base}q2`, 2); } finally { await d.end(); }
  });

  await step('retain', async () => {
    const topic = `${base}retained`;
    const d = await connect();
    try {
      d.send({ cmd: 'publish', topic, payload: Buffer.from('hubcheck-retained'), qos: 1, retain: true, dup: false, messageId: 60001 });
      await d.publish(`${base}p`, 'marker', 1);
      if (await d.subscribe(topic, 1) === 0x80) throw new Error('the hub refused the subscription');
      // A retained message is sent right after SUBACK, so before the answer to a later publish comes back.
      if (await d.subscribe(`${base}sync`, 1) === 0x80) throw new Error('the hub refused the sync subscription');
      await d.publish(`${base}sync`, 'sync', 1);
      await d.waitFor((m) => m.topic === `${base}sync`, ANSWER_MS);
      result.retainHonoured = d.messages.some((m) => m.topic === topic && m.retain);
      // Clear it: an empty retained payload removes the retained message.
      d.send({ cmd: 'publish', topic, payload: Buffer.alloc(0), qos: 0, retain: true, dup: false });
    } finally {
      await d.end();
    }
  });

  await step('will', async () => {
    const topic = `${base}will`;
    const watcher = await connect({ creds: observer });
    try {
      if (await watcher.subscribe(topic, 1) === 0x80) throw new Error('the hub does not let another device subscribe to this device\'s topics, so a will cannot be observed');
      const conn = await RawConnection.open(target.endpoints.mqtt, { label: 'probe-will' });
      conn.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, ...loginFor(target, main), ...passwordBuffer(loginFor(target, main).password), will: { topic, payload: Buffer.from('hubcheck-will'), qos: 0, retain: false } });
      const ack = await conn.next(ANSWER_MS);
      if (ack?.cmd !== 'connack' || ack.returnCode !== 0) { conn.close(); throw new Error('a CONNECT with a will was refused'); }
      conn.close(); // no DISCONNECT: the will must be published
      result.willHonoured = Boolean(await watcher.waitFor((m) => m.topic === topic, QUIET_MS));
    } finally {
      await watcher.end();
    }
  });

  await step('inflight window', async () => {
    const topic = `${base}inflight`;
    const conn = await RawConnection.open(target.endpoints.mqtt, { label: 'probe-inflight' });
    try {
      const login = loginFor(target, main);
      conn.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, ...login, ...passwordBuffer(login.password) });
      if ((await conn.next(ANSWER_MS))?.cmd !== 'connack') throw new Error('no CONNACK');
      let delivered = 0;
      let acked = 0;
      conn.intercept((p) => {
        if (p.cmd === 'publish') { delivered++; return true; } // deliberately never acknowledged
        if (p.cmd === 'puback') { acked++; return true; }
        return false;
      });
      conn.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
      const suback = await conn.next(ANSWER_MS);
      if (suback?.cmd !== 'suback' || Number(suback.granted[0] ?? 0x80) > 2) throw new Error('the subscription was refused');
      for (let i = 0; i < INFLIGHT_SENT; i++) conn.send({ cmd: 'publish', topic, payload: Buffer.from(String(i)), qos: 1, retain: false, dup: false, messageId: 100 + i });
      // Deliveries stop at the window (and some brokers then stop acknowledging too): wait until
      // nothing has moved for a third of QUIET_MS, at most 20 rounds.
      for (let i = 0, last = ''; i < 20; i++) {
        const now = `${delivered}/${acked}`;
        if (now === last) break;
        last = now;
        await conn.until(() => `${delivered}/${acked}` !== now, QUIET_MS / 3);
      }
      result.inflight = { delivered, sent: INFLIGHT_SENT };
    } finally {
      conn.close();
    }
  });

  if (target.endpoints.coap && target.capabilities.includes('coap')) {
    await step('CoAP payload', async () => {
      // a datagram the hub drops unread gets no answer: that counts as refused, after ANSWER_MS
      const coap = await CoapDevice.open(target.endpoints.coap!, 'probe-coap');
      try {
        const token = await coap.token(main.productId, main.deviceName);
        result.coapPayloadBytes = await largestAccepted(1, COAP_PAYLOAD_CAP, async (n) => {
          const reply = await coap.request(`${base}p`, Buffer.alloc(n, 0x61), { token }, ANSWER_MS);
          return reply?.code.startsWith('2.') ?? false;
        }, COAP_PAYLOAD_BYTES);
      } finally {
        coap.close();
      }
    });
  }

  result.durationMs = Date.now() - started;
  return result;
}

function passwordBuffer(password: string | undefined): { password?: Buffer } {
  return password === undefined ? {} : { password: Buffer.from(password) };
}

/** The size of a QoS 1 PUBLISH packet of `topic` with a payload of `payload` bytes. */
function payloadPacket(topic: string, payload: number): number {
  const variable = 2 + Buffer.byteLength(topic) + 2 + payload;
  const lengthBytes = variable < 128 ? 1 : variable < 16384 ? 2 : variable < 2097152 ? 3 : 4;
  return 1 + lengthBytes + variable;
}

export type { MeasuredBound };

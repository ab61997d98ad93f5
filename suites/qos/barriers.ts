/**
 * Barriers that decide "this was not delivered" without assuming that a PUBACK means the message was already
 * routed (Aedes writes the PUBACK first and routes afterwards, and MQTT 3.1.1 allows it, so a SUBSCRIBE sent after
 * the PUBACK may be in place before the message is routed): the marker always travels the probe's own path. And
 * waits for owed deliveries bounded by silence, not by a total. No vitest here: `hubcheck replay` uses these too.
 */
import type { Device, Message } from '../../src/client/device.js';
import { ROUND_TRIP_LIMIT_MS } from '../support/wire.js';

let seq = 0;

/**
 * Whether a subscription of `device` to `topic` that must not exist any more (removed by UNSUBSCRIBE, or discarded
 * with its session) still delivers. The device publishes a probe at QoS 1, subscribes to the topic at QoS 0 and
 * publishes a QoS 1 marker on it. Probe and marker share topic and publisher, so the hub routes the probe first
 * (MQTT 3.1.1 §4.6, ordered topics): once the marker is back, wherever the probe was sent has arrived. A probe routed
 * after the new subscription was made arrives at QoS 0, which is allowed; a probe at QoS 1 can only have come
 * through the subscription that must not exist. Returns those QoS 1 deliveries (none: conforming) and leaves the
 * device subscribed to the topic at QoS 0.
 */
export async function ghostDeliveries(device: Device, topic: string): Promise<Message[]> {
  const n = ++seq;
  const probe = `hubcheck-probe-${n}`;
  const marker = `hubcheck-after-probe-${n}`;
  await device.publish(topic, probe, 1);
  const granted = await device.subscribe(topic, 0);
  if (granted !== 0) throw new Error(`SUBSCRIBE ${topic} at QoS 0 was answered ${granted}; the barrier needs that subscription`);
  await device.publish(topic, marker, 1);
  const back = await device.waitFor((m) => m.topic === topic && m.payload.toString() === marker, ROUND_TRIP_LIMIT_MS);
  if (!back) throw new Error(`the marker on ${topic} did not come back within ${ROUND_TRIP_LIMIT_MS} ms; cannot judge delivery`);
  return device.messages.filter((m) => m.payload.toString() === probe && m.qos === 1);
}

/**
 * Waits until `done()` holds while deliveries keep coming: gives up only after `idleMs` without any new message. A
 * paced replay of 150 stored messages takes 150 paces, longer on a busy machine where every pacing timer fires late;
 * a bound on the whole replay would fail a conforming hub there, a bound on the silence does not. Bounded: each
 * round but the last needs a new message, and at most `maxMessages` are awaited.
 */
export async function whileArriving(d: Device, done: () => boolean, idleMs: number, maxMessages = 1000): Promise<boolean> {
  for (let i = 0; i <= maxMessages && !done(); i++) {
    const seen = d.messages.length;
    if (!(await d.conn.until(() => done() || d.messages.length > seen, idleMs))) return false;
  }
  return done();
}

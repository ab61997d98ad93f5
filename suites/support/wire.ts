/** Ordering barriers: decide "nothing arrived" from a marker that must arrive after it, not from a fixed sleep. */
import type { Device } from '../../src/client/device.js';

/** Generous upper bound for one round trip to the hub, for waits that should normally end in milliseconds. */
export const ROUND_TRIP_LIMIT_MS = 5000;

let markerSeq = 0;

/**
 * Publishes a marker to a topic the device is subscribed to and waits until it comes back. MQTT orders a publisher's
 * messages only within one QoS, so after the device's own QoS 0 publishes the marker is QoS 0 too (`qos`): a QoS 1
 * marker may overtake them on a correct hub.
 */
export async function selfLoop(device: Device, loopTopic: string, qos: 0 | 1 = 1): Promise<void> {
  const marker = `hubcheck-marker-${++markerSeq}`;
  await device.publish(loopTopic, marker, qos);
  const got = await device.waitFor((m) => m.topic === loopTopic && m.payload.toString() === marker, ROUND_TRIP_LIMIT_MS);
  if (!got) throw new Error(`marker on ${loopTopic} did not come back within ${ROUND_TRIP_LIMIT_MS} ms; cannot judge delivery`);
}

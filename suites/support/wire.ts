/** Ordering barriers: decide "nothing arrived" from a marker that must arrive after it, not from a fixed sleep. */
import type { Device } from '../../src/client/device.js';

/** Generous upper bound for one round trip to the hub, for waits that should normally end in milliseconds. */
export const ROUND_TRIP_LIMIT_MS = 5000;

let markerSeq = 0;

/**
 * Makes `publisher`'s earlier packets settle at `subscriber`: a QoS 1 publish from the publisher
 * is acknowledged (so the hub has handled everything sent before it on that connection), then
 * the subscriber sends itself a marker on `loopTopic` (a topic it publishes and subscribes) and
 * waits for it (so whatever the hub dispatched to it before has arrived).
 */
export async function settle(publisher: Device, publisherTopic: string, subscriber: Device, loopTopic: string): Promise<void> {
  await publisher.publish(publisherTopic, `hubcheck-sync-${++markerSeq}`, 1);
  await selfLoop(subscriber, loopTopic);
}

/** Publishes a marker to a topic the device is subscribed to and waits until it comes back. */
export async function selfLoop(device: Device, loopTopic: string): Promise<void> {
  const marker = `hubcheck-marker-${++markerSeq}`;
  await device.publish(loopTopic, marker, 1);
  const got = await device.waitFor((m) => m.topic === loopTopic && m.payload.toString() === marker, ROUND_TRIP_LIMIT_MS);
  if (!got) throw new Error(`marker on ${loopTopic} did not come back within ${ROUND_TRIP_LIMIT_MS} ms; cannot judge delivery`);
}

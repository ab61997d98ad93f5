/** Shared helpers of the mqtt-core suites: log in the way the target expects (plain or signed), unique topic prefixes. */
import { randomBytes } from 'node:crypto';
import type { Device, DeviceOptions } from '../../src/client/device.js';
import { loginFor, type DeviceCredentials } from '../../src/target/provisioning.js';
import type { Harness } from '../support/harness.js';

/** Logs a device in: plain credentials (or none) on a plain broker, a signed login on an IoT Hub. */
export function login(h: Harness, creds: DeviceCredentials, o: Partial<DeviceOptions> = {}): Promise<Device> {
  return h.connect({ ...loginFor(h.target, creds), label: o.label ?? creds.deviceName, ...o });
}

/** The one topic every IoT Hub device may both publish and subscribe (default class `data`), and any broker allows. */
export const dataTopic = (c: DeviceCredentials): string => `${c.productId}/${c.deviceName}/data`;

/** A topic prefix no other test uses (plain brokers have no namespaces). */
export const uniquePrefix = (): string => `hc${randomBytes(4).toString('hex')}`;

/** A CONNECT packet's bytes with any protocol level (mqtt-packet refuses unknown levels). */
export function connectBytes(level: number, clientId: string, protocolName = 'MQTT'): Buffer {
  const name = Buffer.from(protocolName);
  const id = Buffer.from(clientId);
  const body = Buffer.concat([
    Buffer.from([0, name.length]), name, Buffer.from([level, 0x02, 0, 60]),
    Buffer.from([id.length >> 8, id.length & 0xff]), id,
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

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

/** A CONNECT packet's bytes with any protocol level (mqtt-packet refuses unknown levels), optionally with a username and password. */
export function connectBytes(level: number, clientId: string, protocolName = 'MQTT', o: { username?: string; password?: string } = {}): Buffer {
  const name = Buffer.from(protocolName);
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const flags = 0x02 | (o.username !== undefined ? 0x80 : 0) | (o.password !== undefined ? 0x40 : 0);
  const body = Buffer.concat([
    Buffer.from([0, name.length]), name, Buffer.from([level, flags, 0, 60]), str(clientId),
    ...(o.username !== undefined ? [str(o.username)] : []), ...(o.password !== undefined ? [str(o.password)] : []),
  ]);
  // the remaining length: 7 bits a byte, low bits first, the continuation bit on every byte but the last
  const length: number[] = [];
  for (let n = body.length; ; ) {
    const digit = n % 128;
    n = Math.floor(n / 128);
    length.push(n > 0 ? digit | 0x80 : digit);
    if (n === 0) break;
  }
  return Buffer.concat([Buffer.from([0x10, ...length]), body]);
}

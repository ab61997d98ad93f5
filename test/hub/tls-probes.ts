// Fault probes for the TLS side (tls-accept-any-ca, tls-ignore-expiry, tls-ignore-cn, psk-accept-wrong-key): true = the hub conforms.

import mqtt from 'mqtt';
import type { RunningHub } from '../../hub/index.js';
import { createCa, issue, type CertAndKey } from '../../hub/tls/pki.js';
import { api, type Device } from './helpers.js';

type Probe = (hub: RunningHub, a: Device, b: Device) => Promise<boolean>;
const DAY = 86_400_000;

interface CertSetup { productId: string; customerCa: CertAndKey }
const setups = new WeakMap<RunningHub, Promise<CertSetup>>();

/** Once per hub: a certificate product with devices c1, c2 and a registered customer CA. */
function certSetup(hub: RunningHub): Promise<CertSetup> {
  let s = setups.get(hub);
  if (!s) {
    s = (async () => {
      const p = await api(hub, 'CreateProduct', { ProductName: 'probe_tls', ProductProperties: { EncryptionType: '1' } });
      const productId = p['ProductId'] as string;
      for (const d of ['c1', 'c2']) await api(hub, 'CreateDevice', { ProductId: productId, DeviceName: d });
      const customerCa = await createCa('probe customer CA', Date.now());
      await api(hub, 'CreatePrivateCA', { CertName: 'probe_ca', CertText: customerCa.cert });
      return { productId, customerCa };
    })();
    setups.set(hub, s);
  }
  return s;
}

/** True when an mqtt.js login over TLS with these options gets CONNACK 0. */
function accepted(url: string, o: mqtt.IClientOptions): Promise<boolean> {
  // mqtt.js' connectAsync never settles when the server closes before CONNACK with reconnects off: watch 'close' too.
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, ...o });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      c.removeAllListeners();
      c.on('error', () => {});
      c.end(true, () => resolve(ok));
    };
    const timer = setTimeout(() => done(false), 5000);
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
    c.once('close', () => done(false));
  });
}

async function certLogin(hub: RunningHub, deviceName: string, cert: CertAndKey): Promise<boolean> {
  const { productId } = await certSetup(hub);
  const clientId = `${productId}${deviceName}`;
  return accepted(hub.endpoints.mqtts, { clientId, username: `${clientId};12010126;probe;9999999999`, ca: hub.tls.caCert, cert: cert.cert, key: cert.key });
}

export const TLS_PROBES: Record<string, Probe> = {
  'tls-accept-any-ca': async (hub) => {
    const { productId } = await certSetup(hub);
    const stranger = await createCa('stranger', Date.now());
    const c = await issue(stranger, { commonName: `${productId}c1`, usage: 'client', keyType: 'ec', nowMs: Date.now(), validDays: 30 });
    return !(await certLogin(hub, 'c1', c));
  },
  'tls-ignore-expiry': async (hub) => {
    const { productId, customerCa } = await certSetup(hub);
    const c = await issue(customerCa, { commonName: `${productId}c1`, usage: 'client', keyType: 'ec', nowMs: Date.now() - 10 * DAY, validDays: 1 });
    return !(await certLogin(hub, 'c1', c));
  },
  'tls-ignore-cn': async (hub) => {
    const { productId, customerCa } = await certSetup(hub);
    const c = await issue(customerCa, { commonName: `${productId}c2`, usage: 'client', keyType: 'ec', nowMs: Date.now(), validDays: 30 });
    return !(await certLogin(hub, 'c1', c));
  },
  'psk-accept-wrong-key': async (hub, a) => {
    const clientId = `${a.productId}${a.deviceName}`;
    return accepted(hub.endpoints.mqtts, {
      clientId, username: `${clientId};21010406;probe;9999999999`,
      pskCallback: () => ({ identity: clientId, psk: Buffer.from(a.psk, 'base64') }), ciphers: 'PSK-AES128-CBC-SHA', maxVersion: 'TLSv1.2', checkServerIdentity: () => undefined,
    } as mqtt.IClientOptions);
  },
};

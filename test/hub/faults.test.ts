// Each fault switch breaks exactly its own behaviour: every probe is run against the clean hub and against each fault.

import { describe, expect, test } from 'vitest';
import { FAULTS, startHub, type RunningHub } from '../../hub/index.js';
import { connectDevice, inbox, login, portOf, provision, RawClient, sleep, type Device } from './helpers.js';
import { PROBE_RRPC_TIMEOUT_MS, SERVICE_PROBES } from './service-probes.js';
import { QOS_PROBES } from './qos-probes.js';
import { RULES_PROBES } from '../rules/probes.js';
import { TLS_PROBES } from './tls-probes.js';
import { FAULT_EXPECTATIONS } from '../../src/runner/faults.js';
import { LOGIN_REFUSAL_FLOOR_MS } from '../../hub/limits.js';

type Probe = (hub: RunningHub, a: Device, b: Device) => Promise<boolean>; // true = the hub conforms

async function connackOf(hub: RunningHub, fields: ReturnType<typeof login>): Promise<number | null> {
  const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
  const code = await raw.connect(fields);
  raw.close();
  return code;
}

async function subackOf(hub: RunningHub, d: Device, topic: string, qos = 1): Promise<number> {
  const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
  expect(await raw.connect(login(d))).toBe(0);
  raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] });
  const p: any = await raw.next();
  raw.close();
  return p.granted[0];
}

const PROBES: Record<string, Probe> = {
  'accept-bad-signature': async (hub, a) =>
    (await connackOf(hub, login({ ...a, psk: Buffer.alloc(16, 1).toString('base64') }))) === 4,
  'ignore-expiry': async (hub, a) => (await connackOf(hub, login(a, { expiry: '1000' }))) === 4,
  'allow-cross-device-publish': async (hub, a, b) => {
    const victim = await connectDevice(hub, b);
    await victim.subscribeAsync(`${b.productId}/${b.deviceName}/data`, { qos: 1 });
    const box = inbox(victim);
    const intruder = await connectDevice(hub, a);
    intruder.publish(`${b.productId}/${b.deviceName}/data`, 'x', { qos: 0 });
    await sleep(150);
    await Promise.all([victim.endAsync(), intruder.endAsync()]);
    return box.messages.length === 0;
  },
  'allow-hash-mid-filter': async (hub, a) => (await subackOf(hub, a, `${a.productId}/${a.deviceName}/#/control`)) === 128,
  'accept-oversize-topic': async (hub, a) => {
    const prefix = `${a.productId}/${a.deviceName}/`;
    return (await subackOf(hub, a, prefix + '+/' + 'x'.repeat(65 - prefix.length - 2))) === 128;
  },
  'grant-qos2': async (hub, a) => (await subackOf(hub, a, `${a.productId}/${a.deviceName}/control`, 2)) === 1,
  // AUTH-029: refusals wait for the floor, so the quickest of several is no sooner than it (the fault answers at once)
  'login-timing-leak': async (hub) => {
    const fields = login({ productId: 'ZZZZZZZZZZ', deviceName: 'ghost', psk: Buffer.alloc(16, 1).toString('base64') });
    let quickest = Infinity;
    for (let i = 0; i < 10; i++) {
      const raw = await RawClient.open(portOf(hub.endpoints.mqtt));
      const start = performance.now();
      const code = await raw.connect(fields);
      quickest = Math.min(quickest, performance.now() - start);
      raw.close();
      if (code !== 4) return false;
    }
    return quickest >= LOGIN_REFUSAL_FLOOR_MS;
  },
  ...SERVICE_PROBES,
  ...QOS_PROBES,
  ...RULES_PROBES,
  ...TLS_PROBES,
};

test('every fault is checked by a probe here or by the selftest of the suites', () => {
  const unchecked = Object.keys(FAULTS).filter((f) => !Object.hasOwn(PROBES, f) && !Object.hasOwn(FAULT_EXPECTATIONS, f));
  expect(unchecked).toEqual([]);
});

test('an unknown fault name is refused with the valid names', async () => {
  await expect(startHub({ faults: ['no-such-fault'] })).rejects.toThrow(/unknown fault "no-such-fault"; valid faults: accept-bad-signature, /);
});

describe.each([['(none)'], ...Object.keys(PROBES).map((f) => [f])])('hub with fault %s', (fault) => {
  test('exactly the matching probe fails', async () => {
    const hub = await startHub({ faults: fault === '(none)' ? [] : [fault], rrpcTimeoutMs: PROBE_RRPC_TIMEOUT_MS });
    try {
      expect(hub.faults).toEqual(fault === '(none)' ? [] : [fault]);
      const [a, b] = (await provision(hub, ['a', 'b'])) as [Device, Device];
      const results: Record<string, boolean> = {};
      for (const [name, probe] of Object.entries(PROBES)) results[name] = await probe(hub, a, b);
      const expected = Object.fromEntries(Object.keys(PROBES).map((name) => [name, name !== fault]));
      expect(results).toEqual(expected);
    } finally {
      await hub.close();
    }
  });
});

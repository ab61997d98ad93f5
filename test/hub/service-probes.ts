// Fault probes for the log, broadcast, RRPC, NTP and HTTP gateway services (used by faults.test.ts; true = the hub conforms).

import { signGatewayRequest } from '../../src/protocol/http-sign.js';
import type { RunningHub } from '../../hub/index.js';
import { callApi, connectDevice, inbox, provision, sleep, type Device } from './helpers.js';

type Probe = (hub: RunningHub, a: Device, b: Device) => Promise<boolean>;

/** The RRPC timeout faults.test.ts starts its hubs with (short, so the timeout probe takes a moment). */
export const PROBE_RRPC_TIMEOUT_MS = 300;

async function gatewayPost(hub: RunningHub, path: string, d: Device, body: unknown, o: { timestamp?: number; unsigned?: boolean } = {}): Promise<Record<string, any>> {
  const url = new URL(path, hub.endpoints.api);
  const text = JSON.stringify(body);
  const signed = signGatewayRequest({ secret: d.psk, host: url.hostname, uri: path, algorithm: 'hmacsha256', timestamp: o.timestamp ?? Math.floor(Date.now() / 1000), nonce: 1, body: text });
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(o.unsigned ? {} : signed.headers) }, body: text });
  return ((await res.json()) as { Response: Record<string, any> }).Response;
}

/** Starts an RRPC call to `a`, answers it with `answer(processId)` publishes, returns the call's Response. */
async function rrpcRound(hub: RunningHub, a: Device, answer: (processId: string) => [string, string][]): Promise<Record<string, any>> {
  const dev = await connectDevice(hub, a);
  await dev.subscribeAsync(`$rrpc/rxd/${a.productId}/${a.deviceName}/+`, { qos: 1 });
  dev.on('message', (topic) => {
    const id = topic.split('/')[4]!;
    for (const [pid, payload] of answer(id)) dev.publish(`$rrpc/txd/${a.productId}/${a.deviceName}/${pid}`, payload, { qos: 1 });
  });
  try {
    return (await callApi(hub, 'PublishRRPCMessage', { ProductId: a.productId, DeviceName: a.deviceName, Payload: 'probe' })).Response;
  } finally {
    await dev.endAsync();
  }
}

export const SERVICE_PROBES: Record<string, Probe> = {
  'rrpc-no-timeout': async (hub, a) => {
    const r = await Promise.race([rrpcRound(hub, a, () => []), sleep(PROBE_RRPC_TIMEOUT_MS + 1500).then(() => undefined)]);
    return r?.Error?.Code === 'FailedOperation.RRPCTimeout';
  },
  'rrpc-wrong-process-id': async (hub, a) => {
    const r = await rrpcRound(hub, a, (id) => [[`${id}7`, 'wrong'], [id, 'right']]);
    return r.PayloadBase64 === Buffer.from('right').toString('base64');
  },
  'broadcast-cross-product': async (hub, a) => {
    const [c] = (await provision(hub, ['c'])) as [Device];
    const other = await connectDevice(hub, c);
    await other.subscribeAsync(`$broadcast/rxd/${c.productId}/${c.deviceName}`, { qos: 1 });
    const box = inbox(other);
    await callApi(hub, 'PublishBroadcastMessage', { ProductId: a.productId, Payload: 'x', Qos: 1 });
    await sleep(150);
    await other.endAsync();
    return box.messages.length === 0;
  },
  'http-accept-stale-timestamp': async (hub, a) => {
    const r = await gatewayPost(hub, '/device/publish', a, { ProductId: a.productId, DeviceName: a.deviceName, TopicName: `${a.productId}/${a.deviceName}/data`, Payload: 'x', Qos: 0 }, { timestamp: Math.floor(Date.now() / 1000) - 1000 });
    return r.Error?.Code === 'InvalidParameterValue';
  },
  'log-unsigned-upload': async (hub, a) => {
    const r = await gatewayPost(hub, '/device/reportlog', a, { ProductId: a.productId, DeviceName: a.deviceName, Message: ['INFx'] }, { unsigned: true });
    return typeof r.Error?.Code === 'string';
  },
  'ntp-stale-time': async (hub, a) => {
    const dev = await connectDevice(hub, a);
    await dev.subscribeAsync(`$sys/operation/result/${a.productId}/${a.deviceName}`, { qos: 1 });
    const box = inbox(dev);
    dev.publish(`$sys/operation/${a.productId}/${a.deviceName}`, JSON.stringify({ type: 'get', resource: ['time'] }), { qos: 1 });
    await box.wait(1);
    await dev.endAsync();
    const reply = box.messages[0] && (JSON.parse(box.messages[0].payload) as { ntptime2: number });
    return reply !== undefined && Math.abs(reply.ntptime2 - Date.now()) < 60_000;
  },
};

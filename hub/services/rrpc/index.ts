// RRPC: PublishRRPCMessage publishes on $rrpc/rxd/${pid}/${dn}/${processID} and returns the device's answer from $rrpc/txd/.../${processID}, or times out (protocol.md §7.2).

import type { Client } from 'aedes';
import { covers, levels } from '../../acl/topics.js';
import { encodedPacketSize } from '../../acl/publish.js';
import type { Action } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { DEVICE_NAME, PRODUCT_ID, reqString } from '../../api/params.js';
import { requireDevice } from '../../api/views.js';
import { MAX_PUBLISH_PACKET_BYTES } from '../../limits.js';
import type { HubService, ServiceContext } from '../types.js';

interface Pending {
  productId: string;
  deviceName: string;
  processId: number;
  resolve(answer: Buffer): void;
  timer?: NodeJS.Timeout;
}

interface RrpcState {
  nextId: number;
  /** By `${productId}/${deviceName}/${processId}`, in creation order. */
  pending: Map<string, Pending>;
}

/** Per hub: several hubs may run in one process (tests), each with its own ServiceContext. */
const STATES = new WeakMap<ServiceContext, RrpcState>();

function state(ctx: ServiceContext): RrpcState {
  const s = STATES.get(ctx);
  if (!s) throw new Error('the rrpc service was not started for this hub');
  return s;
}

/** Whether one of the device's connections holds a subscription covering the request topic (RRPC-008). */
function isSubscribed(ctx: ServiceContext, clientId: string, topic: string): boolean {
  const client = (ctx.broker as unknown as { clients: Record<string, Client & { subscriptions?: Record<string, unknown> }> }).clients[clientId];
  const t = levels(topic);
  return Object.keys(client?.subscriptions ?? {}).some((filter) => covers(levels(filter), t));
}

/**
 * The answer to a reply the device ${pid}/${dn} published on $rrpc/txd/${pid}/${dn}/${processID}: only that device's
 * call with that very processID (RRPC-006); the identity is the publisher's login, never a topic level.
 */
function findPending(ctx: ServiceContext, s: RrpcState, productId: string, deviceName: string, processId: string): Pending | undefined {
  const exact = s.pending.get(`${productId}/${deviceName}/${processId}`);
  if (exact) return exact;
  // the fault: any pending call of the device takes the reply
  if (ctx.faults.has('rrpc-wrong-process-id')) return [...s.pending.values()].find((p) => p.productId === productId && p.deviceName === deviceName);
  // the fault: the call with that processID takes the reply, whichever device of the product sent it
  if (ctx.faults.has('rrpc-any-device-answer')) return [...s.pending.values()].find((p) => p.productId === productId && String(p.processId) === processId);
  return undefined;
}

const PublishRRPCMessage: Action = {
  params: ['ProductId', 'DeviceName', 'Payload'],
  run(actx, p) {
    const ctx = actx.hub;
    const s = state(ctx);
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const payload = Buffer.from(reqString(p, 'Payload'), 'utf8');
    const device = requireDevice(actx.registry, productId, deviceName);
    // RRPC-009: a disabled device is also offline; the more specific code wins
    if (device.enableState === 0) throw new ApiError('FailedOperation.DeviceAlreadyDisabled', `device ${productId}/${deviceName} is disabled`);
    if (!actx.sessions.isOnline(productId, deviceName)) throw new ApiError('FailedOperation.DeviceOffline', `device ${productId}/${deviceName} is not connected`); // RRPC-007
    const processId = s.nextId;
    s.nextId = s.nextId >= Number.MAX_SAFE_INTEGER ? 1 : s.nextId + 1;
    const topic = `$rrpc/rxd/${productId}/${deviceName}/${processId}`;
    const size = encodedPacketSize(2 + Buffer.byteLength(topic) + payload.length);
    if (size > MAX_PUBLISH_PACKET_BYTES) {
      throw new ApiError('InvalidParameterValue.PayloadOverLimit', `the request would be a PUBLISH of ${size} bytes; the limit is ${MAX_PUBLISH_PACKET_BYTES}`); // RRPC-011
    }
    if (!isSubscribed(ctx, productId + deviceName, topic)) {
      throw new ApiError('FailedOperation.DeviceNoSubscription', `device ${productId}/${deviceName} is not subscribed to $rrpc/rxd/${productId}/${deviceName}/+`); // RRPC-008
    }
    const key = `${productId}/${deviceName}/${processId}`;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const call: Pending = {
        productId,
        deviceName,
        processId,
        // RRPC-002, RRPC-003: MessageId is the processID; the answer comes back as Base64
        resolve: (answer) => resolve({ MessageId: processId, PayloadBase64: answer.toString('base64') }),
      };
      if (!ctx.faults.has('rrpc-no-timeout')) {
        // RRPC-005: no answer within the timeout fails the call; a later answer finds nothing pending (RRPC-010)
        call.timer = setTimeout(() => {
          s.pending.delete(key);
          reject(new ApiError('FailedOperation.RRPCTimeout', `device ${productId}/${deviceName} did not answer RRPC ${processId} within ${ctx.settings.rrpcTimeoutMs} ms`));
        }, ctx.settings.rrpcTimeoutMs);
        call.timer.unref();
      }
      s.pending.set(key, call);
      // RRPC-001, RRPC-004: the request goes out at QoS 0
      ctx.publish(topic, payload, 0).catch((err: Error) => {
        clearTimeout(call.timer);
        s.pending.delete(key);
        reject(err);
      });
    });
  },
};

export const rrpc: HubService = {
  name: 'rrpc',
  actions: { PublishRRPCMessage },
  start(ctx) {
    const s: RrpcState = { nextId: 1, pending: new Map() };
    STATES.set(ctx, s);
    ctx.onDevicePublish('$rrpc/txd/+/+/+', (m) => {
      const processId = m.topic.split('/')[4] ?? '';
      const call = findPending(ctx, s, m.productId, m.deviceName, processId);
      if (!call) return ctx.log(`rrpc: dropped an answer on ${m.topic}: no call is waiting for it`); // RRPC-010
      clearTimeout(call.timer);
      s.pending.delete(`${call.productId}/${call.deviceName}/${call.processId}`);
      call.resolve(m.payload);
    });
    // Pending calls die with the broker: their HTTP requests were closed with the API server.
    ctx.broker.once('closed', () => {
      for (const call of s.pending.values()) clearTimeout(call.timer);
      s.pending.clear();
    });
  },
};

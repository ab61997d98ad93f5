// RRPC: PublishRRPCMessage publishes on $rrpc/rxd/${pid}/${dn}/${processID} and returns the device's answer from $rrpc/txd/.../${processID}, or times out (protocol.md §7.2).

import { encodedPacketSize } from '../../acl/publish.js';
import type { Action } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { DEVICE_NAME, PRODUCT_ID, reqString } from '../../api/params.js';
import { requireDevice } from '../../api/views.js';
import { MAX_PUBLISH_PACKET_BYTES } from '../../limits.js';
import { answerSubscribed, coversTopic, localClient, subscribedElsewhere } from '../reach.js';
import { nextInSequence } from '../sequence.js';
import type { HubService, ServiceContext } from '../types.js';

/** The bus question a worker asks the one holding the device (hub/services/reach.ts). */
const SUBSCRIBED = 'rrpc-subscribed';
/** The bus event that carries a device's answer from the worker it arrived at to the one whose call waits for it. */
const ANSWER = 'rrpc-answer';
/** In a cluster, processIDs come from one sequence in the registry file, so an answer names one call cluster-wide. */
const PROCESS_ID_KEY = 'rrpc-process-id';

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

/**
 * Whether the device's connection holds a subscription covering the request topic (RRPC-008): known here at once, or
 * (a promise) asked of the worker of a cluster that holds it.
 */
function isSubscribed(ctx: ServiceContext, productId: string, deviceName: string, topic: string): boolean | Promise<boolean> {
  const here = localClient(ctx, productId, deviceName, false);
  if (here || !ctx.bus.clustered) return coversTopic(here, topic);
  return subscribedElsewhere(ctx, SUBSCRIBED, productId, deviceName, topic).then((yes) => yes ?? false);
}

/** Completes the call an answer is for, if one waits in this process; false when none does. */
function complete(ctx: ServiceContext, s: RrpcState, productId: string, deviceName: string, processId: string, payload: Buffer): boolean {
  const call = findPending(ctx, s, productId, deviceName, processId);
  if (!call) return false;
  clearTimeout(call.timer);
  s.pending.delete(`${call.productId}/${call.deviceName}/${call.processId}`);
  call.resolve(payload);
  return true;
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
  async run(actx, p) {
    const ctx = actx.hub;
    const s = state(ctx);
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const payload = Buffer.from(reqString(p, 'Payload'), 'utf8');
    const device = requireDevice(actx.registry, productId, deviceName);
    // RRPC-009: a disabled device is also offline; the more specific code wins
    if (device.enableState === 0) throw new ApiError('FailedOperation.DeviceAlreadyDisabled', `device ${productId}/${deviceName} is disabled`);
    if (!actx.sessions.isOnline(productId, deviceName)) throw new ApiError('FailedOperation.DeviceOffline', `device ${productId}/${deviceName} is not connected`); // RRPC-007
    let processId = s.nextId;
    if (ctx.bus.clustered) processId = nextInSequence(ctx.registry, PROCESS_ID_KEY);
    else s.nextId = s.nextId >= Number.MAX_SAFE_INTEGER ? 1 : s.nextId + 1;
    const topic = `$rrpc/rxd/${productId}/${deviceName}/${processId}`;
    const size = encodedPacketSize(2 + Buffer.byteLength(topic) + payload.length);
    if (size > MAX_PUBLISH_PACKET_BYTES) {
      throw new ApiError('InvalidParameterValue.PayloadOverLimit', `the request would be a PUBLISH of ${size} bytes; the limit is ${MAX_PUBLISH_PACKET_BYTES}`); // RRPC-011
    }
    const subscribed = isSubscribed(ctx, productId, deviceName, topic);
    if (!(typeof subscribed === 'boolean' ? subscribed : await subscribed)) {
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
      if (complete(ctx, s, m.productId, m.deviceName, processId, m.payload)) return;
      // the call may wait on another worker: the identity sent on is this worker's login of the publisher, as here
      if (ctx.bus.clustered) return ctx.bus.send(ANSWER, { productId: m.productId, deviceName: m.deviceName, processId, payload: m.payload.toString('base64') });
      ctx.log(`rrpc: dropped an answer on ${m.topic}: no call is waiting for it`); // RRPC-010
    });
    if (ctx.bus.clustered) {
      answerSubscribed(ctx, SUBSCRIBED, false);
      ctx.bus.on(ANSWER, (d) => {
        const a = d as { productId: string; deviceName: string; processId: string; payload: string };
        complete(ctx, s, a.productId, a.deviceName, a.processId, Buffer.from(a.payload, 'base64'));
      });
    }
    // Pending calls die with the broker: their HTTP requests were closed with the API server.
    ctx.broker.once('closed', () => {
      for (const call of s.pending.values()) clearTimeout(call.timer);
      s.pending.clear();
    });
  },
};

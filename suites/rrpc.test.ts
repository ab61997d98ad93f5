// RRPC (protocol.md §7.2, seed §1.3.2): request topic and processID, the device's answer, the timeout, processID matching, refusals.
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ApiError, type CloudApi, apiErrorCode as code } from '../src/client/cloud-api.js';
import type { Device, Message } from '../src/client/device.js';
import { req, reqProperty, type Harness } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const product = useProduct('rrpc', { devices: ['callee', 'offline', 'unsubscribed', 'disabled', 'late', 'neighbour'] });

const REQUEST_RE = /^\$rrpc\/rxd\/([^/]+)\/([^/]+)\/([^/]+)$/;

/** The hub's RRPC timeout as the target declares it (10 s unless limits.rrpcTimeoutMs says otherwise). */
const timeoutOf = (h: Harness) => h.target.limits.rrpcTimeoutMs;
/** The latest a timeout may come: 1.5 × the timeout plus 2 s of network and scheduling slack. */
const latestTimeout = (h: Harness) => Math.round(timeoutOf(h) * 1.5) + 2000;
/** A cloud API client whose requests outlast the latest timeout, so the hub's answer and not the client's limit ends a call. */
const rrpcApi = (h: Harness) => h.api({ timeoutMs: latestTimeout(h) + 5000 });

type RrpcAnswer = { MessageId: number; PayloadBase64: string };

/** Starts a call; the promise never rejects unhandled (a hub that never answers must fail the test, not the run). */
function startCall(api: CloudApi, creds: DeviceCredentials, payload: string) {
  const started = Date.now();
  const settled = api.call<RrpcAnswer>('PublishRRPCMessage', { ProductId: creds.productId, DeviceName: creds.deviceName, Payload: payload }).then(
    (answer) => ({ ok: true as const, answer, ms: Date.now() - started }),
    (error: unknown) => ({ ok: false as const, error, ms: Date.now() - started }),
  );
  void settled.then((r) => OUTCOMES.set(settled, r.ok ? `answered after ${r.ms} ms` : `failed after ${r.ms} ms: ${(r.error as Error).message}`));
  return settled;
}

/** How each started call has ended so far, so a request that never arrives is reported with the call's own outcome. */
const OUTCOMES = new WeakMap<Promise<unknown>, string>();

/** Waits for a settled call, at most `limitMs`; undefined when the hub has not answered by then. */
async function within<T>(p: Promise<T>, limitMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), limitMs); });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function callee(h: Harness, creds: DeviceCredentials): Promise<Device> {
  // The first schema check compiles every schema: do it before a call starts, not between request and answer.
  h.expectSchema('rrpc.schema.json#/$defs/processId', '1', 'warm-up');
  const device = await h.device(creds);
  expect(await device.subscribe(`$rrpc/rxd/${creds.productId}/${creds.deviceName}/+`, 1), 'SUBACK for the RRPC filter').toBe(1);
  return device;
}

async function nextRequest(h: Harness, device: Device, creds: DeviceCredentials, payload: string, call: Promise<unknown>): Promise<{ message: Message; processId: string }> {
  const message = await device.waitFor((m) => REQUEST_RE.test(m.topic) && m.payload.toString('utf8') === payload, ROUND_TRIP_LIMIT_MS);
  expect(message, `the RRPC request ${JSON.stringify(payload)} reaches the device (the call: ${OUTCOMES.get(call) ?? 'not ended'})`).toBeDefined();
  h.expectSchema('rrpc.schema.json#/$defs/requestTopic', message!.topic, 'MQTT topic of the RRPC request');
  const [, pid, dn, processId] = REQUEST_RE.exec(message!.topic)!;
  expect([pid, dn], 'the request topic names the device').toEqual([creds.productId, creds.deviceName]);
  return { message: message!, processId: processId! };
}

const replyTopic = (c: DeviceCredentials, processId: string | number) => `$rrpc/txd/${c.productId}/${c.deviceName}/${processId}`;

describe('calls and answers', () => {
  req(['RRPC-001', 'RRPC-002', 'RRPC-003', 'RRPC-004'], 'the request arrives at QoS 0 with a decimal processID and the answer is returned as Base64', async (h) => {
    const creds = product.device('callee');
    const device = await callee(h, creds);
    const call = startCall(rrpcApi(h), creds, 'turn on ✓');
    const { message, processId } = await nextRequest(h, device, creds, 'turn on ✓', call);
    expect(message.qos, 'RRPC request QoS').toBe(0);
    expect(processId, 'processID').toMatch(/^\d+$/);
    const reply = Buffer.from([0x6f, 0x6b, 0x00, 0xff]);
    await device.publish(replyTopic(creds, processId), reply, 1);
    const result = await within(call, latestTimeout(h));
    expect(result, 'PublishRRPCMessage answers').toBeDefined();
    if (!result!.ok) throw result!.error;
    expect(result!.answer.PayloadBase64, 'PayloadBase64 is the reply bytes').toBe(reply.toString('base64'));
    expect(result!.answer.MessageId, 'MessageId equals the processID').toBe(Number(processId));
  });

  req(['RRPC-006'], 'two concurrent calls each get the answer sent with their own processID', async (h) => {
    const creds = product.device('callee');
    const device = await callee(h, creds);
    const api = rrpcApi(h);
    const first = startCall(api, creds, 'first');
    const second = startCall(api, creds, 'second');
    const a = await nextRequest(h, device, creds, 'first', first);
    const b = await nextRequest(h, device, creds, 'second', second);
    expect(a.processId, 'processIDs differ').not.toBe(b.processId);
    await device.publish(replyTopic(creds, b.processId), 'answer-second', 1); // reverse order on purpose
    await device.publish(replyTopic(creds, a.processId), 'answer-first', 1);
    const [ra, rb] = await Promise.all([within(first, latestTimeout(h)), within(second, latestTimeout(h))]);
    expect(ra?.ok && Buffer.from(ra.answer.PayloadBase64, 'base64').toString(), 'first call').toBe('answer-first');
    expect(rb?.ok && Buffer.from(rb.answer.PayloadBase64, 'base64').toString(), 'second call').toBe('answer-second');
  });

  req(['RRPC-006'], 'an answer on another processID does not complete the call; the one on its own processID does', async (h) => {
    const creds = product.device('callee');
    const device = await callee(h, creds);
    const call = startCall(rrpcApi(h), creds, 'which one');
    const { processId } = await nextRequest(h, device, creds, 'which one', call);
    await device.publish(replyTopic(creds, Number(processId) + 1000), 'wrong-process-id', 1);
    await device.publish(replyTopic(creds, processId), 'right', 1);
    const r = await within(call, latestTimeout(h));
    expect(r?.ok ? Buffer.from(r.answer.PayloadBase64, 'base64').toString() : r && (r.error as Error).message).toBe('right');
  });

  req(['RRPC-006'], 'an answer with the right processID from another device of the product does not complete the call', async (h) => {
    const creds = product.device('callee');
    const other = product.device('neighbour');
    const device = await callee(h, creds);
    const neighbour = await callee(h, other); // subscribed to its own RRPC topic, like any device of the product
    const loop = `${other.productId}/${other.deviceName}/data`;
    expect(await neighbour.subscribe(loop, 1)).toBe(1);
    const call = startCall(rrpcApi(h), creds, 'who answers');
    const { processId } = await nextRequest(h, device, creds, 'who answers', call);
    // the neighbour answers with the callee's processID: on its own reply topic, and (refused by the ACL) on the callee's
    await neighbour.publish(replyTopic(other, processId), 'from-neighbour', 1);
    neighbour.send({ cmd: 'publish', topic: replyTopic(creds, processId), payload: Buffer.from('from-neighbour-on-callee-topic'), qos: 0, retain: false, dup: false });
    // Barrier: a marker the neighbour publishes after its answers is routed after them (one publisher, in order).
    await selfLoop(neighbour, loop);
    await device.publish(replyTopic(creds, processId), 'from-callee', 1);
    const r = await within(call, latestTimeout(h));
    expect(r?.ok ? Buffer.from(r.answer.PayloadBase64, 'base64').toString() : r && (r.error as Error).message, 'the answer PublishRRPCMessage returns').toBe('from-callee');
  });

  reqProperty(['RRPC-002', 'RRPC-005', 'RRPC-006'],
    'answers well before the timeout are returned, answers well after it give RRPCTimeout, and a wrong processID is never returned',
    [fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()],
    async (h, inTime, fraction, wrongFirst) => {
      const T = timeoutOf(h);
      // well clear of the boundary: ≤ 40 % of the timeout, or ≥ 200 %
      const delay = Math.round(inTime ? fraction * 0.4 * T : (2 + fraction * 0.5) * T);
      const creds = product.device('callee');
      const device = await callee(h, creds);
      const payload = `prop-${Math.random().toString(36).slice(2)}`;
      const call = startCall(rrpcApi(h), creds, payload);
      const { processId } = await nextRequest(h, device, creds, payload, call);
      if (wrongFirst) await device.publish(replyTopic(creds, `${processId}9`), 'wrong-process-id', 1);
      if (inTime) {
        await new Promise((r) => setTimeout(r, delay));
        await device.publish(replyTopic(creds, processId), `right-${payload}`, 1);
        const r = await within(call, latestTimeout(h));
        expect(r, 'an answer').toBeDefined();
        expect(r!.ok ? Buffer.from(r!.answer.PayloadBase64, 'base64').toString() : (r!.error as Error).message, `answer after ${delay} ms of a ${T} ms timeout`).toBe(`right-${payload}`);
      } else {
        const r = await within(call, latestTimeout(h));
        expect(r, `PublishRRPCMessage answers within ${latestTimeout(h)} ms`).toBeDefined();
        expect(r!.ok ? `answer ${Buffer.from(r!.answer.PayloadBase64, 'base64').toString()}` : (r!.error as ApiError).code, 'no answer in time').toBe('FailedOperation.RRPCTimeout');
        expect(r!.ms, `RRPCTimeout not before the ${T} ms timeout`).toBeGreaterThanOrEqual(T * 0.95);
        // the device's late answer (sent at `delay`) must not disturb anything: it is checked by RRPC-010
      }
    }, { numRuns: 8, timeout: 120_000 });
});

describe('timeout', () => {
  req(['RRPC-005'], 'an unanswered call fails with FailedOperation.RRPCTimeout after the hub\'s RRPC timeout', async (h) => {
    const T = timeoutOf(h);
    const creds = product.device('callee');
    const device = await callee(h, creds);
    const call = startCall(rrpcApi(h), creds, 'nobody answers');
    await nextRequest(h, device, creds, 'nobody answers', call);
    const r = await within(call, latestTimeout(h));
    expect(r, `PublishRRPCMessage gives up within ${latestTimeout(h)} ms (timeout ${T} ms)`).toBeDefined();
    expect(r!.ok ? 'an answer' : (r!.error as ApiError).code).toBe('FailedOperation.RRPCTimeout');
    expect(r!.ms, 'not before the timeout').toBeGreaterThanOrEqual(T * 0.95);
  }, { timeout: 60_000 });

  req(['RRPC-010'], 'an answer after the timeout is acknowledged, returned to nobody, and does not complete the next call', async (h) => {
    const creds = product.device('late');
    const device = await callee(h, creds);
    const api = rrpcApi(h);
    const stale = startCall(api, creds, 'too slow');
    const { processId } = await nextRequest(h, device, creds, 'too slow', stale);
    const r = await within(stale, latestTimeout(h));
    expect(r && !r.ok && (r.error as ApiError).code).toBe('FailedOperation.RRPCTimeout');
    await device.publish(replyTopic(creds, processId), 'stale answer', 1); // resolves on PUBACK
    expect(device.isOpen, 'the connection stays open').toBe(true);
    const fresh = startCall(api, creds, 'next');
    const next = await nextRequest(h, device, creds, 'next', fresh);
    // the late answer again, now that a call is pending: one publisher's answers are handled in order
    await device.publish(replyTopic(creds, processId), 'stale answer', 1);
    await device.publish(replyTopic(creds, next.processId), 'fresh answer', 1);
    const r2 = await within(fresh, latestTimeout(h));
    expect(r2?.ok && Buffer.from(r2.answer.PayloadBase64, 'base64').toString(), 'the next call gets its own answer').toBe('fresh answer');
  }, { timeout: 60_000 });
});

describe('refusals', () => {
  req(['RRPC-007'], 'a call to a registered device that is not connected fails at once with DeviceOffline', async (h) => {
    const creds = product.device('offline');
    const started = Date.now();
    expect(await code(h.api().call('PublishRRPCMessage', { ProductId: creds.productId, DeviceName: creds.deviceName, Payload: 'x' }))).toBe('FailedOperation.DeviceOffline');
    expect(Date.now() - started, 'at once, not after the timeout').toBeLessThan(Math.min(timeoutOf(h), ROUND_TRIP_LIMIT_MS));
  });

  req(['RRPC-008'], 'a call to a connected device without an RRPC subscription fails at once with DeviceNoSubscription', async (h) => {
    const creds = product.device('unsubscribed');
    const device = await h.device(creds);
    expect(await device.subscribe(`${creds.productId}/${creds.deviceName}/data`, 1)).toBe(1);
    const started = Date.now();
    expect(await code(h.api().call('PublishRRPCMessage', { ProductId: creds.productId, DeviceName: creds.deviceName, Payload: 'x' }))).toBe('FailedOperation.DeviceNoSubscription');
    expect(Date.now() - started, 'at once, not after the timeout').toBeLessThan(Math.min(timeoutOf(h), ROUND_TRIP_LIMIT_MS));
  });

  req(['RRPC-009'], 'unknown devices get DeviceNotExist and disabled ones DeviceAlreadyDisabled', async (h) => {
    const api = h.api();
    expect(await code(api.call('PublishRRPCMessage', { ProductId: product.productId, DeviceName: 'no_such_device', Payload: 'x' }))).toBe('ResourceNotFound.DeviceNotExist');
    const creds = product.device('disabled');
    await api.call('UpdateDeviceAvailableState', { ProductId: creds.productId, DeviceName: creds.deviceName, EnableState: 0 });
    try {
      expect(await code(api.call('PublishRRPCMessage', { ProductId: creds.productId, DeviceName: creds.deviceName, Payload: 'x' }))).toBe('FailedOperation.DeviceAlreadyDisabled');
    } finally {
      await api.call('UpdateDeviceAvailableState', { ProductId: creds.productId, DeviceName: creds.deviceName, EnableState: 1 });
    }
  });

  req(['RRPC-011'], 'a payload that would make the request PUBLISH exceed 16384 bytes is refused and nothing is sent', async (h) => {
    const creds = product.device('callee');
    const device = await callee(h, creds);
    const loop = `${creds.productId}/${creds.deviceName}/data`;
    expect(await device.subscribe(loop, 1)).toBe(1);
    expect(await code(h.api().call('PublishRRPCMessage', { ProductId: creds.productId, DeviceName: creds.deviceName, Payload: 'x'.repeat(16384) }))).toBe('InvalidParameterValue.PayloadOverLimit');
    await selfLoop(device, loop);
    expect(device.messages.filter((m) => REQUEST_RE.test(m.topic)), 'no RRPC request was sent').toEqual([]);
  });

  req(['RRPC-011', 'RRPC-001'], 'a payload that makes the request PUBLISH exactly 16384 bytes is sent and answered', async (h) => {
    const creds = product.device('callee');
    const device = await callee(h, creds);
    const api = rrpcApi(h);
    // The processID is the hub's: take its length from the last request seen (one answered call first), and
    // guess one digit more after a refusal, since the next processID may be longer (9 → 10)
    const warm = startCall(api, creds, 'size probe');
    const probe = await nextRequest(h, device, creds, 'size probe', warm);
    let digits = probe.processId.length;
    await device.publish(replyTopic(creds, probe.processId), 'ok', 1);
    expect((await within(warm, latestTimeout(h)))?.ok, 'the probe call is answered').toBe(true);
    const prefix = Buffer.byteLength(`$rrpc/rxd/${creds.productId}/${creds.deviceName}/`);
    const seen: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      // QoS 0 PUBLISH: 1 header byte, 2 bytes of remaining length (< 16384), 2 + topic, payload
      const payload = `${attempt}`.padEnd(16384 - 1 - 2 - 2 - prefix - digits, 'r');
      const call = startCall(api, creds, payload);
      const request = await Promise.race([call.then(() => undefined), device.waitFor((m) => REQUEST_RE.test(m.topic) && m.payload.toString('utf8') === payload, ROUND_TRIP_LIMIT_MS)]);
      if (!request) {
        const r = await within(call, latestTimeout(h));
        expect(r && !r.ok && (r.error as ApiError).code, `attempt ${attempt + 1}: no request arrived, so the call is refused`).toBe('InvalidParameterValue.PayloadOverLimit');
        seen.push(`refused (a processID of ${digits} digits would make 16384 bytes)`);
        digits += 1;
        continue;
      }
      const size = 1 + 2 + 2 + Buffer.byteLength(request.topic) + request.payload.length;
      await device.publish(`$rrpc/txd/${request.topic.slice('$rrpc/rxd/'.length)}`, 'fits', 1);
      const r = await within(call, latestTimeout(h));
      expect(r?.ok && Buffer.from(r.answer.PayloadBase64, 'base64').toString(), `attempt ${attempt + 1}: the call is answered`).toBe('fits');
      expect(size, `attempt ${attempt + 1}: the request PUBLISH stays within 16384 bytes`).toBeLessThanOrEqual(16384);
      if (size === 16384) return;
      seen.push(`sent as ${size} bytes`);
      digits = REQUEST_RE.exec(request.topic)![3]!.length;
    }
    expect.fail(`no request of exactly 16384 bytes was sent in 3 attempts: ${seen.join('; ')}`);
  });
});

// Device shadow: get/update/delete-by-null over $shadow, versions, deltas, limits, and the shadow cloud actions (protocol.md §3).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { apiErrorCode as apiCode } from '../src/client/cloud-api.js';
import type { Device } from '../src/client/device.js';
import { type Harness, req, reqProperty } from './support/harness.js';
import { type DeviceCredentials, uniqueName, useProduct } from './support/provision.js';
import {
  type Attrs, deltaProblem, hasEmptyObject, hasNull, type JsonValue, jsonEqual, patchAttrs, patchTo, reverseKeys, ShadowModel,
} from './support/shadow-model.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const product = useProduct('shadow', { devices: ['plain'] });
const S = 'shadow.schema.json#/$defs/';

type Reply = { type: string; result?: number; clientToken?: string; timestamp: number; payload?: any };

let tokenSeq = 0;
const nextToken = (prefix: string) => `${prefix}-${++tokenSeq}`;

/** A device with its shadow topics subscribed, and request/answer helpers matched by clientToken. */
class ShadowClient {
  readonly opTopic: string;
  readonly resultTopic: string;
  readonly loopTopic: string;
  private seen = 0;
  constructor(readonly h: Harness, readonly dev: Device, readonly creds: DeviceCredentials) {
    this.opTopic = `$shadow/operation/${creds.productId}/${creds.deviceName}`;
    this.resultTopic = `$shadow/operation/result/${creds.productId}/${creds.deviceName}`;
    this.loopTopic = `${creds.productId}/${creds.deviceName}/data`;
  }

  static async open(h: Harness, creds: DeviceCredentials): Promise<ShadowClient> {
    const dev = await h.device(creds);
    expect(await dev.subscribe(`$shadow/operation/result/${creds.productId}/${creds.deviceName}`, 1)).toBe(1);
    expect(await dev.subscribe(`${creds.productId}/${creds.deviceName}/data`, 1)).toBe(1);
    return new ShadowClient(h, dev, creds);
  }

  /** Publishes a request and returns the reply carrying its clientToken, schema-checked against `schema`. */
  async request(body: Record<string, unknown>, schema = 'reply'): Promise<Reply> {
    const token = body.clientToken as string;
    await this.dev.publish(this.opTopic, JSON.stringify(body), 1);
    const m = await this.dev.waitFor((x) => x.topic === this.resultTopic && parse(x.payload)?.clientToken === token, ROUND_TRIP_LIMIT_MS);
    if (!m) throw new Error(`no reply with clientToken ${token} on ${this.resultTopic} within ${ROUND_TRIP_LIMIT_MS} ms`);
    const reply = parse(m.payload) as Reply;
    this.h.expectSchema(S + schema, reply, `MQTT ${this.resultTopic}`);
    return reply;
  }

  get = () => this.request({ type: 'get', clientToken: nextToken(this.creds.productId) }, 'getReply');

  update(state: Record<string, unknown>, version?: number, schema = 'reply'): Promise<Reply> {
    return this.request({ type: 'update', state, ...(version !== undefined ? { version } : {}), clientToken: nextToken(this.creds.productId) }, schema);
  }

  /** Sends raw bytes to the operation topic, then a get: whatever the hub answers before the get's reply is returned. */
  async rawThenGet(payload: string): Promise<{ before: Reply[]; get: Reply }> {
    const start = this.dev.messages.length;
    await this.dev.publish(this.opTopic, payload, 1);
    const get = await this.get();
    const idx = this.dev.messages.findIndex((m, i) => i >= start && parse(m.payload)?.clientToken === get.clientToken);
    const before = this.dev.messages.slice(start, idx).filter((m) => m.topic === this.resultTopic).map((m) => parse(m.payload) as Reply);
    for (const r of before) this.h.expectSchema(S + 'resultMessage', r, `MQTT ${this.resultTopic}`);
    return { before, get };
  }

  /** Delta pushes received since the last call, after a barrier: anything the hub sent before now has arrived. */
  async deltasSinceLast(): Promise<Reply[]> {
    await selfLoop(this.dev, this.loopTopic);
    const fresh = this.dev.messages.slice(this.seen);
    this.seen = this.dev.messages.length;
    const deltas = fresh.filter((m) => m.topic === this.resultTopic && parse(m.payload)?.type === 'delta').map((m) => parse(m.payload) as Reply);
    for (const d of deltas) this.h.expectSchema(S + 'delta', d, `MQTT ${this.resultTopic}`);
    return deltas;
  }
}

function parse(b: Buffer): any {
  try { return JSON.parse(b.toString('utf8')); } catch { return undefined; }
}

async function freshDevice(h: Harness): Promise<ShadowClient> {
  const creds = await product.addDevice(uniqueName('sd').slice(0, 40));
  return ShadowClient.open(h, creds);
}

async function apiUpdate(h: Harness, c: ShadowClient, state: unknown, version: number, extra: Record<string, unknown> = {}) {
  const r = await h.api().call<{ Data: string }>('UpdateDeviceShadow', {
    ProductId: c.creds.productId, DeviceName: c.creds.deviceName, State: JSON.stringify(state), ShadowVersion: version, ...extra,
  });
  const data = JSON.parse(r.Data);
  h.expectSchema(S + 'apiData', data, 'UpdateDeviceShadow Data');
  return data;
}

async function apiDescribe(h: Harness, c: ShadowClient) {
  const r = await h.api().call<{ Data: string }>('DescribeDeviceShadow', { ProductId: c.creds.productId, DeviceName: c.creds.deviceName });
  const data = JSON.parse(r.Data);
  h.expectSchema(S + 'apiData', data, 'DescribeDeviceShadow Data');
  return data;
}

const isSeconds = (t: unknown) => typeof t === 'number' && t >= 1e9 && t < 1e10;
const isMillis = (t: unknown) => typeof t === 'number' && t >= 1e12 && t < 1e13;
const orEmpty = (v: unknown) => (v ?? {}) as Attrs;

describe('get and update over MQTT', () => {
  req(['SHADOW-014', 'SHADOW-001', 'SHADOW-020'], 'a new device gets an empty shadow with version 0', async (h) => {
    const c = await freshDevice(h);
    const r = await c.get();
    expect(r).toMatchObject({ type: 'get', result: 0 });
    expect(r.payload.version).toBe(0);
    expect(orEmpty(r.payload.state)).toEqual({});
    expect(orEmpty(r.payload.metadata)).toEqual({});
    expect(isSeconds(r.timestamp), `reply timestamp ${r.timestamp} in Unix seconds`).toBe(true);
  });

  req(['SHADOW-003', 'SHADOW-004', 'SHADOW-001', 'SHADOW-020'], 'an update of reported is acknowledged with only the touched fields and raises the version by one', async (h) => {
    const c = await freshDevice(h);
    const first = await c.update({ reported: { temperature: 27, mode: 'cool' } }, undefined, 'updateReply');
    expect(first).toMatchObject({ type: 'update', result: 0, payload: { state: { reported: { temperature: 27, mode: 'cool' } }, version: 1 } });
    const second = await c.update({ reported: { temperature: 28 } }, undefined, 'updateReply');
    expect(second.payload.state).toEqual({ reported: { temperature: 28 } });
    expect(Object.keys(second.payload.metadata.reported)).toEqual(['temperature']);
    expect(isSeconds(second.payload.metadata.reported.temperature.timestamp)).toBe(true);
    expect(second.payload.version).toBe(2);
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ temperature: 28, mode: 'cool' });
    expect(Object.keys(got.payload.metadata.reported).sort()).toEqual(['mode', 'temperature']);
    expect(got.payload.version).toBe(2);
    expect(isSeconds(got.payload.timestamp)).toBe(true);
  });

  req(['SHADOW-008'], 'clientToken is echoed byte for byte whatever its format', async (h) => {
    const c = await freshDevice(h);
    const clientId = c.creds.productId + c.creds.deviceName;
    for (const token of [`${c.creds.productId}-0`, `${clientId}-17`, 'token with spaces/and:symbols', 'ünïcødé-✓', 'x'.repeat(64)]) {
      await c.dev.publish(c.opTopic, JSON.stringify({ type: 'get', clientToken: token }), 1);
      const m = await c.dev.waitFor((x) => x.topic === c.resultTopic && parse(x.payload)?.clientToken === token, ROUND_TRIP_LIMIT_MS);
      expect(m, `reply echoing ${JSON.stringify(token)}`).toBeDefined();
      h.expectSchema(S + 'getReply', parse(m!.payload), `MQTT ${c.resultTopic}`);
    }
  });

  req(['SHADOW-005'], 'an update with a stale version is refused with 5005 and the whole document, and changes nothing', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1 } });
    await c.update({ reported: { b: 2 } });
    await c.update({ reported: { a: 3 } }); // version 3
    const r = await c.update({ reported: { a: 99 } }, 2, 'versionConflictReply');
    expect(r.result).toBe(5005);
    expect(r.payload.version).toBe(3);
    expect(r.payload.state.reported).toEqual({ a: 3, b: 2 });
    expect(Object.keys(r.payload.metadata.reported).sort()).toEqual(['a', 'b']);
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ a: 3, b: 2 });
    expect(got.payload.version).toBe(3);
  });

  req(['SHADOW-006'], 'updates without a version (C SDK) or with version 0 (Java SDK) are applied whatever the stored version', async (h) => {
    const c = await freshDevice(h);
    for (let i = 0; i < 3; i++) await c.update({ reported: { n: i } });
    expect((await c.update({ reported: { n: 10 } })).result).toBe(0);
    expect((await c.update({ reported: { n: 11 } }, 0)).result).toBe(0);
    const matching = await c.update({ reported: { n: 12 } }, 5);
    expect(matching.result, 'the current version is accepted').toBe(0);
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ n: 12 });
    expect(got.payload.version).toBe(6);
  });

  req(['SHADOW-007'], 'a version ahead of the stored one is refused with 5005', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1 } });
    const r = await c.update({ reported: { a: 2 } }, 7);
    expect(r.result).toBe(5005);
  });
});

describe('deleting with null', () => {
  req(['SHADOW-009'], 'a null property removes it and its metadata', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { keep: 1, drop: 2 } });
    const r = await c.update({ reported: { drop: null } }, undefined, 'updateReply');
    expect(r.result).toBe(0);
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ keep: 1 });
    expect(Object.keys(got.payload.metadata.reported)).toEqual(['keep']);
  });

  req(['SHADOW-010', 'SHADOW-013'], 'desired: null clears desired, is echoed with a metadata entry per cleared attribute, and no delta remains', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { temperature: 27 } });
    await apiUpdate(h, c, { desired: { temperature: 25, fan: 'on' } }, 1);
    expect((await c.get()).payload.state.delta).toEqual({ temperature: 25, fan: 'on' });
    const r = await c.update({ reported: { temperature: 25 }, desired: null }, undefined, 'updateReply');
    expect(r.payload.state).toEqual({ reported: { temperature: 25 }, desired: null });
    expect(Object.keys(r.payload.metadata.desired).sort()).toEqual(['fan', 'temperature']);
    const got = await c.get();
    expect(got.payload.state.desired).toBeUndefined();
    expect(got.payload.state.delta).toBeUndefined();
    expect(got.payload.metadata.delta).toBeUndefined();
  });

  req(['SHADOW-011'], 'reported: null clears reported', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1, b: 2 } });
    expect((await c.update({ reported: null })).result).toBe(0);
    expect(orEmpty((await c.get()).payload.state.reported)).toEqual({});
  });
});

describe('nested objects', () => {
  req(['SHADOW-027', 'SHADOW-003'], 'an update of one nested member keeps its siblings at every depth, from the device and the API', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { o: { x: 0, y: { p: 1, q: 2 } }, k: 1 } });
    const r = await c.update({ reported: { o: { x: 1 } } }, undefined, 'updateReply');
    expect(r.payload.state, 'the reply holds only what the update touched').toEqual({ reported: { o: { x: 1 } } });
    expect((await c.get()).payload.state.reported).toEqual({ o: { x: 1, y: { p: 1, q: 2 } }, k: 1 });
    await c.update({ reported: { o: { y: { p: 5 } } } });
    expect((await c.get()).payload.state.reported).toEqual({ o: { x: 1, y: { p: 5, q: 2 } }, k: 1 });
    await c.update({ reported: { o: { y: 7 }, k: { now: 'object' } } }); // a scalar over an object, an object over a scalar: replaced
    expect((await c.get()).payload.state.reported).toEqual({ o: { x: 1, y: 7 }, k: { now: 'object' } });
    const v = (await c.get()).payload.version;
    await apiUpdate(h, c, { desired: { o: { a: 1, b: { c: 1, d: 2 } } } }, v);
    await apiUpdate(h, c, { desired: { o: { b: { d: 3 } } } }, v + 1);
    expect((await apiDescribe(h, c)).payload.state.desired).toEqual({ o: { a: 1, b: { c: 1, d: 3 } } });
  });

  req(['SHADOW-009'], 'a null below the top level deletes only that member, and no null is ever stored', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { o: { x: 1, y: 2, z: { p: 1, q: 2 } }, keep: true } });
    expect((await c.update({ reported: { o: { x: null, z: { p: null } } } })).result).toBe(0);
    expect((await c.get()).payload.state.reported).toEqual({ o: { y: 2, z: { q: 2 } }, keep: true });
    await c.update({ reported: { n: { a: null, b: 1, m: { p: null, q: 1 } } } }); // nulls in a value written where nothing was
    const got = (await c.get()).payload.state.reported;
    expect(got).toEqual({ o: { y: 2, z: { q: 2 } }, keep: true, n: { b: 1, m: { q: 1 } } });
    expect(hasNull(got), `reported ${JSON.stringify(got)} holds a null`).toBe(false);
    const v = (await c.get()).payload.version;
    await apiUpdate(h, c, { desired: { o: { a: 1, b: { c: 1, d: 2 } } } }, v);
    await apiUpdate(h, c, { desired: { o: { a: null, b: { c: null } } } }, v + 1);
    expect((await apiDescribe(h, c)).payload.state.desired).toEqual({ o: { b: { d: 2 } } });
  });
});

describe('delta', () => {
  req(['SHADOW-012', 'SHADOW-002', 'SHADOW-013'], 'equal arrays and objects, whatever their key order, are not in the delta', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { list: [1, 2, 3], o: { x: 1, y: { p: 1, q: [2, 3] } }, t: 1, empty: [] } });
    await c.deltasSinceLast();
    await apiUpdate(h, c, { desired: { list: [1, 2, 3], o: { y: { q: [2, 3], p: 1 }, x: 1 }, t: 2, empty: [] } }, 1);
    const deltas = await c.deltasSinceLast();
    expect(deltas.map((d) => d.payload.state), 'one delta push holding only t').toEqual([{ t: 2 }]);
    const got = await c.get();
    expect(got.payload.state.delta).toEqual({ t: 2 });
    expect(Object.keys(got.payload.metadata.delta)).toEqual(['t']);
    // the other way round: desired first, then the device reports the same values with other key orders
    await apiUpdate(h, c, { desired: { o2: { a: [1, { b: 2, c: 3 }], d: 'x' } } }, 2);
    await c.update({ reported: { t: 2, o2: { d: 'x', a: [1, { c: 3, b: 2 }] } } });
    const after = await c.get();
    expect(after.payload.state.delta, 'no delta once reported equals desired').toBeUndefined();
    expect(after.payload.metadata.delta).toBeUndefined();
  });

  req(['SHADOW-012'], 'a nested difference puts the object in the delta, whole or reduced to its differing members', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { o: { x: 1, y: { p: 1, q: 2 } } } });
    await c.deltasSinceLast();
    await apiUpdate(h, c, { desired: { o: { y: { q: 2, p: 9 }, x: 1 } } }, 1);
    const [push] = await c.deltasSinceLast();
    const desired = { o: { x: 1, y: { p: 9, q: 2 } } };
    const reported = { o: { x: 1, y: { p: 1, q: 2 } } };
    expect(deltaProblem(push?.payload.state, desired, reported), `push ${JSON.stringify(push?.payload.state)}`).toBeUndefined();
    const got = await c.get();
    expect(deltaProblem(got.payload.state.delta, desired, reported), `get delta ${JSON.stringify(got.payload.state.delta)}`).toBeUndefined();
  });


  req(['SHADOW-002', 'SHADOW-012', 'SHADOW-021', 'SHADOW-024'], 'UpdateDeviceShadow pushes a delta with exactly the desired properties that differ from reported', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { temperature: 27, color: 'red' } });
    await c.deltasSinceLast();
    const data = await apiUpdate(h, c, { desired: { temperature: 25, color: 'red' } }, 1);
    expect(data).toMatchObject({ type: 'update', result: 0, payload: { state: { desired: { temperature: 25, color: 'red' } }, version: 2 } });
    const deltas = await c.deltasSinceLast();
    expect(deltas, 'one delta push on the $shadow result topic').toHaveLength(1);
    const d = deltas[0]!;
    expect(d.clientToken).toBeUndefined();
    expect(d.result).toBeUndefined();
    expect(d.payload.state).toEqual({ temperature: 25 });
    expect(Object.keys(d.payload.metadata)).toEqual(['temperature']);
    expect(d.payload.version).toBe(2);
    const got = await c.get();
    expect(got.payload.state.delta).toEqual({ temperature: 25 });
    expect(Object.keys(got.payload.metadata.delta)).toEqual(['temperature']);
  });

  req(['SHADOW-013'], 'once reported equals desired the get carries no delta', async (h) => {
    const c = await freshDevice(h);
    await apiUpdate(h, c, { desired: { level: 3 } }, 0);
    expect((await c.get()).payload.state.delta).toEqual({ level: 3 });
    await c.update({ reported: { level: 3 } });
    const got = await c.get();
    expect(got.payload.state.desired).toEqual({ level: 3 });
    expect(got.payload.state.delta).toBeUndefined();
  });
});

describe('limits and invalid requests', () => {
  req(['SHADOW-015'], 'arrays are replaced whole, and an array holding null is refused', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { list: [1, 2, 3] } });
    await c.update({ reported: { list: [9] } });
    expect((await c.get()).payload.state.reported.list).toEqual([9]);
    const bad = await c.update({ reported: { list: [1, null] } });
    expect(bad.result).not.toBe(0);
    expect(bad.result).not.toBe(5005);
    const got = await c.get();
    expect(got.payload.state.reported.list).toEqual([9]);
    expect(got.payload.version).toBe(2);
  });

  req(['SHADOW-016'], 'a section nested 5 levels deep is accepted, 6 levels is refused and changes nothing', async (h) => {
    const c = await freshDevice(h);
    const ok = await c.update({ reported: { a: { b: { c: { d: { e: 1 } } } } } }); // objects reported, a, b, c, d: 5 levels
    expect(ok.result).toBe(0);
    const bad = await c.update({ reported: { x: { b: { c: { d: { e: { f: 1 } } } } } } }); // 6 levels
    expect(bad.result).not.toBe(0);
    expect(bad.result).not.toBe(5005);
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ a: { b: { c: { d: { e: 1 } } } } });
    expect(got.payload.version).toBe(1);
  });

  req(['SHADOW-017'], 'a document within 8 KB is accepted; one growing past 16 KB is refused over MQTT and the API', async (h) => {
    const c = await freshDevice(h);
    expect((await c.update({ reported: { a: 'x'.repeat(7 * 1024) } })).result).toBe(0);
    expect((await c.update({ reported: { a: null, b: 'y'.repeat(9 * 1024) } })).result).toBe(0);
    const over = await c.update({ reported: { c: 'z'.repeat(9 * 1024) } });
    expect(over.result).not.toBe(0);
    const got = await c.get();
    expect(Object.keys(got.payload.state.reported)).toEqual(['b']);
    expect(await apiCode(apiUpdate(h, c, { desired: { d: 'w'.repeat(17 * 1024) } }, got.payload.version))).toBe('InvalidParameterValue.JSONSizeExceedLimit');
  });

  req(['SHADOW-018', 'SHADOW-019'], 'a request that is not JSON, or has an unknown type (delete included), is refused and changes nothing', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1 } });
    const notJson = await c.rawThenGet('this is not json');
    expect(notJson.before.map((r) => r.result)).toEqual([expect.any(Number)]);
    expect(notJson.before[0]!.result).not.toBe(0);
    expect(notJson.before[0]!.result).not.toBe(5005);
    for (const type of ['frobnicate', 'delete']) {
      const token = nextToken('t');
      const r = await c.request({ type, clientToken: token }, 'errorReply');
      expect(r.type).toBe(type);
      expect(r.result).not.toBe(0);
      expect(r.result).not.toBe(5005);
    }
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ a: 1 });
    expect(got.payload.version).toBe(1);
  });

  req(['SHADOW-018'], 'a request whose type is absent, empty or not a string is refused with a reply whose type is still a non-empty string', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1 } });
    for (const type of [undefined, '', 42, null, true, { get: 1 }, ['update']]) {
      const body: Record<string, unknown> = { clientToken: nextToken('t'), state: { reported: { a: 2 } } };
      if (type !== undefined) body.type = type;
      // the errorReply schema requires type to be a non-empty string; a reply echoing the bad type fails it
      const r = await c.request(body, 'errorReply');
      expect(typeof r.type === 'string' && r.type.length > 0, `reply type ${JSON.stringify(r.type)} for request type ${JSON.stringify(type)}`).toBe(true);
      expect(r.result, `request type ${JSON.stringify(type)}`).not.toBe(0);
      expect(r.result).not.toBe(5005);
    }
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ a: 1 });
    expect(got.payload.version).toBe(1);
  });

  req(['SHADOW-018'], 'an update whose version is not a non-negative integer is refused, not answered as a version conflict, and changes nothing', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1 } });
    await c.update({ reported: { a: 2 } }); // version 2
    for (const version of [1.5, 2.5, 1e300, -1, '2', '1']) {
      const r = await c.request({ type: 'update', state: { reported: { a: 99 } }, version, clientToken: nextToken('v') }, 'errorReply');
      expect(r.result, `version ${JSON.stringify(version)}`).not.toBe(0);
      expect(r.result, `version ${JSON.stringify(version)} is malformed, not stale`).not.toBe(5005);
    }
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ a: 2 });
    expect(got.payload.version).toBe(2);
  });

  req(['SHADOW-018'], 'an update whose state is absent, not an object, empty or holds another node than reported and desired is refused and changes nothing', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1 } });
    const states: unknown[] = [undefined, [{ reported: { a: 9 } }], {}, { delta: { a: 9 } }, { reported: { a: 9 }, extra: 1 }];
    for (const state of states) {
      const body: Record<string, unknown> = { type: 'update', clientToken: nextToken('s') };
      if (state !== undefined) body.state = state;
      const r = await c.request(body, 'errorReply');
      expect(r.result, `state ${JSON.stringify(state)}`).not.toBe(0);
      expect(r.result, `state ${JSON.stringify(state)}`).not.toBe(5005);
    }
    const got = await c.get();
    expect(got.payload.state.reported).toEqual({ a: 1 });
    expect(got.payload.version, 'no refused update bumps the version').toBe(1);
  });
});

describe('cloud API', () => {
  req(['SHADOW-022'], 'UpdateDeviceShadow with a ShadowVersion other than the stored one fails and changes nothing', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { a: 1 } });
    await c.update({ reported: { a: 2 } });
    expect(await apiCode(apiUpdate(h, c, { desired: { a: 5 } }, 1))).toBe('FailedOperation.UpdateVersionNotMatch');
    const got = await c.get();
    expect(got.payload.state.desired).toBeUndefined();
    expect(got.payload.version).toBe(2);
  });

  req(['SHADOW-023'], 'UpdateDeviceShadow refuses State that is not JSON or holds reported', async (h) => {
    const c = await freshDevice(h);
    const api = h.api();
    const base = { ProductId: c.creds.productId, DeviceName: c.creds.deviceName, ShadowVersion: 0 };
    expect(await apiCode(api.call('UpdateDeviceShadow', { ...base, State: '{"desired":' }))).toBe('InvalidParameterValue.InvalidJSON');
    expect(await apiCode(api.call('UpdateDeviceShadow', { ...base, State: '{"reported":{"a":1}}' }))).toBe('InvalidParameterValue.JSONHasInvalidNode');
    expect(await apiCode(api.call('UpdateDeviceShadow', { ...base, State: '{"desired":{"a":1},"reported":{"a":1}}' }))).toBe('InvalidParameterValue.JSONHasInvalidNode');
    expect((await c.get()).payload.version).toBe(0);
  });

  req(['SHADOW-024'], 'a Prefix other than $shadow or $template is refused', async (h) => {
    const c = await freshDevice(h);
    expect(await apiCode(apiUpdate(h, c, { desired: { a: 1 } }, 0, { Prefix: '$ota' }))).toBe('InvalidParameterValue.PrefixInvalid');
    await apiUpdate(h, c, { desired: { a: 1 } }, 0, { Prefix: '$shadow' });
    expect((await c.deltasSinceLast()).map((d) => d.payload.state)).toEqual([{ a: 1 }]);
  });

  req(['SHADOW-025', 'SHADOW-020'], 'DescribeDeviceShadow returns the document a device get returns, timestamps in milliseconds', async (h) => {
    const c = await freshDevice(h);
    await c.update({ reported: { t: 1, u: [1, 2] } });
    await apiUpdate(h, c, { desired: { t: 2 } }, 1);
    const data = await apiDescribe(h, c);
    expect(data).toMatchObject({ type: 'get', result: 0 });
    expect(isMillis(data.timestamp), `Data.timestamp ${data.timestamp} in ms`).toBe(true);
    expect(isMillis(data.payload.metadata.reported.t.timestamp)).toBe(true);
    const got = await c.get();
    expect(data.payload.state).toEqual(got.payload.state);
    expect(data.payload.version).toBe(got.payload.version);
    expect(Object.keys(data.payload.metadata.reported).sort()).toEqual(Object.keys(got.payload.metadata.reported).sort());
  });

  req(['SHADOW-026'], 'shadow actions on an unknown device or product fail with ProductOrDeviceNotExist', async (h) => {
    const api = h.api();
    for (const [pid, dn] of [[product.productId, 'nosuchdevice'], ['NOSUCHPROD', 'plain']] as const) {
      expect(await apiCode(api.call('DescribeDeviceShadow', { ProductId: pid, DeviceName: dn }))).toBe('ResourceNotFound.ProductOrDeviceNotExist');
      expect(await apiCode(api.call('UpdateDeviceShadow', { ProductId: pid, DeviceName: dn, State: '{"desired":{"a":1}}', ShadowVersion: 0 }))).toBe('ResourceNotFound.ProductOrDeviceNotExist');
    }
  });
});

// ---- model-based: random device reports and cloud desired changes agree with the harness's model

type Section = 'reported' | 'desired';
type Step =
  | { kind: 'report'; patch: Attrs; version: 'none' | 'zero' | 'current' }
  | { kind: 'stale'; patch: Attrs }
  | { kind: 'desired'; patch: Attrs | null }
  | { kind: 'clearDesired' }
  // updates one member of a stored object (its siblings must stay)
  | { kind: 'touch'; into: Section; pick: number; member: string; value: JsonValue }
  // copies a property (an object or array when there is one) from the other section: equal non-scalar values on both
  // sides; reversed, it is rewritten with the keys of every object in reverse order, else patched in with nested nulls
  | { kind: 'mirror'; into: Section; pick: number; reverse: boolean };

// Tiny domains, so values collide: the same arrays on both sides, the same nested keys in different orders, nested nulls.
const KEYS = ['a', 'b', 'c'];
const scalar = fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom('on', 'off'), fc.boolean());
const array = fc.constantFrom<JsonValue[]>([1, 2], [2, 1], [], ['on', { x: 1, y: 2 }]);
const small = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: fc.constant(null) });
const inner = fc.dictionary(fc.constantFrom('p', 'q', 'r'), small, { minKeys: 1, maxKeys: 3 });
const member = fc.oneof({ weight: 3, arbitrary: small }, { weight: 1, arbitrary: array }, { weight: 2, arbitrary: inner });
// fc.dictionary draws its keys in random order, so equal objects come with different key orders
const nestedKey = fc.constantFrom('x', 'y', 'z');
const nested = fc.oneof(
  { weight: 3, arbitrary: fc.dictionary(nestedKey, member, { minKeys: 2, maxKeys: 3 }) },
  { weight: 2, arbitrary: fc.dictionary(nestedKey, member, { minKeys: 1, maxKeys: 1 }) },
);
const value: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 2, arbitrary: scalar },
  { weight: 2, arbitrary: array },
  { weight: 5, arbitrary: nested },
  { weight: 1, arbitrary: fc.constant(null) },
);
const patch = fc.dictionary(fc.constantFrom(...KEYS), value, { minKeys: 1, maxKeys: 2 }) as fc.Arbitrary<Attrs>;
const section = fc.constantFrom<Section>('reported', 'desired');
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('report' as const), patch, version: fc.constantFrom('none' as const, 'zero' as const, 'current' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const), patch }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('desired' as const), patch: fc.option(patch, { freq: 8 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clearDesired' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('touch' as const), into: section, pick: fc.nat({ max: 5 }), member: nestedKey, value: member }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mirror' as const), into: section, pick: fc.nat({ max: 5 }), reverse: fc.constantFrom(true, true, false) }) },
);

const isObjectValue = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

reqProperty(['SHADOW-004', 'SHADOW-012', 'SHADOW-002', 'SHADOW-005', 'SHADOW-006', 'SHADOW-009', 'SHADOW-010', 'SHADOW-021', 'SHADOW-027'],
  'random device updates and cloud desired changes agree with the model: document, version and deltas',
  [fc.array(step, { minLength: 4, maxLength: 12 })],
  async (h, steps) => {
    const c = await freshDevice(h);
    const model = new ShadowModel();
    await c.deltasSinceLast();
    const desiredViaApi = async (at: string, p: Attrs | null) => {
      const data = await apiUpdate(h, c, { desired: p }, model.version);
      model.update('desired', p);
      expect(data.payload.version, at).toBe(model.version);
      const deltas = await c.deltasSinceLast();
      // one push when some property differs; when none does, a push (if any) must be empty
      if (model.delta()) expect(deltas.length, `${at}: one delta push`).toBe(1);
      else expect(deltas.length, `${at}: at most one delta push`).toBeLessThanOrEqual(1);
      for (const d of deltas) {
        expect(deltaProblem(d.payload.state, model.desired, model.reported), `${at}: delta push ${JSON.stringify(d.payload.state)} for desired ${JSON.stringify(model.desired)} and reported ${JSON.stringify(model.reported)}`).toBeUndefined();
        expect(d.payload.version, at).toBe(model.version);
      }
    };
    const report = async (at: string, p: Attrs, version?: number) => {
      const r = await c.update({ reported: p }, version);
      expect(r.result, at).toBe(0);
      model.update('reported', p);
      expect(r.payload.version, at).toBe(model.version);
    };
    const write = (at: string, into: Section, p: Attrs) => (into === 'reported' ? report(at, p) : desiredViaApi(at, p));
    /** Whether applying p to a section would leave an object without members somewhere (not specified: such steps are skipped). */
    const leavesEmpty = (into: Section, p: Attrs | null) => p !== null && hasEmptyObject(Object.values(patchAttrs(model[into], p)));
    for (const [i, s] of steps.entries()) {
      const at = `step ${i} ${JSON.stringify(s)}`;
      if (s.kind === 'report') {
        if (leavesEmpty('reported', s.patch)) continue;
        await report(at, s.patch, s.version === 'none' ? undefined : s.version === 'zero' ? 0 : model.version);
      } else if (s.kind === 'stale') {
        if (model.version < 2) continue; // version 0 is never checked
        const r = await c.update({ reported: s.patch }, model.version - 1);
        expect(r.result, at).toBe(5005);
        expect(r.payload.version, at).toBe(model.version);
      } else if (s.kind === 'clearDesired') {
        const r = await c.update({ desired: null });
        expect(r.result, at).toBe(0);
        model.update('desired', null);
      } else if (s.kind === 'desired') {
        if (leavesEmpty('desired', s.patch)) continue;
        await desiredViaApi(at, s.patch);
      } else if (s.kind === 'touch') {
        const keys = Object.keys(model[s.into]).filter((k) => isObjectValue(model[s.into][k]));
        if (!keys.length) continue;
        const p = { [keys[s.pick % keys.length]!]: { [s.member]: s.value } };
        if (leavesEmpty(s.into, p)) continue;
        await write(at, s.into, p);
      } else {
        const from = s.into === 'reported' ? model.desired : model.reported;
        const keys = Object.keys(from);
        const rich = keys.filter((k) => typeof from[k] === 'object');
        const pool = rich.length ? rich : keys;
        if (!pool.length) continue;
        const key = pool[s.pick % pool.length]!;
        const source = from[key]!;
        if (s.reverse) {
          if (model[s.into][key] !== undefined) await write(`${at} (delete ${key} first)`, s.into, { [key]: null });
          await write(at, s.into, { [key]: reverseKeys(source) });
        } else {
          await write(at, s.into, { [key]: patchTo(model[s.into][key], source) });
        }
        expect(jsonEqual(model.reported[key], model.desired[key]), `${at}: the model mirrors ${key}`).toBe(true);
      }
      const got = await c.get();
      const state = got.payload.state;
      expect(got.payload.version, at).toBe(model.version);
      const expected = model.expectedState();
      expect(jsonEqual(orEmpty(state.reported), orEmpty(expected.reported)), `${at}: reported ${JSON.stringify(state.reported)} vs model ${JSON.stringify(expected.reported)}`).toBe(true);
      expect(jsonEqual(orEmpty(state.desired), orEmpty(expected.desired)), `${at}: desired ${JSON.stringify(state.desired)} vs model ${JSON.stringify(expected.desired)}`).toBe(true);
      expect(deltaProblem(state.delta, model.desired, model.reported), `${at}: get delta ${JSON.stringify(state.delta)} for desired ${JSON.stringify(model.desired)} and reported ${JSON.stringify(model.reported)}`).toBeUndefined();
    }
  },
  { numRuns: 25, timeout: 120_000 });

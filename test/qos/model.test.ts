// The QoS/session model itself: what it owes, stores, expires and how the judge reads receipts.
import { describe, expect, test } from 'vitest';
import { DAY_MS, HOUR_MS, judge, Model, STORED_MAX, type Receipt } from '../../suites/qos/model.js';

const r = (id: string, o: Partial<Receipt> = {}): Receipt => ({ id, topic: 't', qos: 1, dup: false, ...o });

describe('sessions', () => {
  test('SessionPresent: only a CleanSession = 0 login into an existing session', () => {
    const m = new Model(1, 'r');
    expect(m.sessionPresent(0, false)).toBe(false);
    m.connect(0, false, true);
    m.disconnect(0);
    expect(m.sessionPresent(0, false)).toBe(true);
    expect(m.sessionPresent(0, true)).toBe(false);
    m.connect(0, true, true); // clean discards
    m.disconnect(0);
    expect(m.sessionPresent(0, false)).toBe(false);
  });

  test('a session offline for 24 h is gone; 23 h is not enough', () => {
    const m = new Model(1, 'r');
    m.connect(0, false, true);
    m.disconnect(0);
    m.advance(23 * HOUR_MS);
    expect(m.sessionPresent(0, false)).toBe(true);
    m.advance(HOUR_MS);
    expect(m.sessionPresent(0, false)).toBe(false);
  });
});

describe('stored messages', () => {
  test('QoS 1 to an offline session with a QoS 1 subscription is saved; the 151st is refused; QoS 0 never', () => {
    const m = new Model(1, 'r');
    m.connect(0, false, true);
    m.subscribe(0, 'a', 1);
    m.disconnect(0);
    expect(m.publish(0, 'a', 0, 'cloud').answer).toBe('FailedOperation.DeviceOffline');
    for (let i = 0; i < STORED_MAX; i++) expect(m.publish(0, 'a', 1, 'cloud').answer).toBe('LimitExceeded.MessageSaved');
    expect(m.publish(0, 'a', 1, 'cloud').answer).toBe('LimitExceeded.OfflineMessageExceedLimit');
    expect(m.publish(0, 'b', 1, 'cloud').answer).toBe('FailedOperation.DeviceOffline'); // not subscribed
    m.connect(0, false, true);
    expect(m.required(0)).toHaveLength(STORED_MAX);
    expect(m.required(0).map((x) => x.id)).toEqual(Array.from({ length: STORED_MAX }, (_, i) => `r:${i + 2}`));
  });

  test('online: not subscribed, QoS 0 optional, QoS 1 owed; granted QoS 2 is 1', () => {
    const m = new Model(1, 'r');
    m.connect(0, true, false);
    expect(m.publish(0, 'a', 1, 'd0').answer).toBe('FailedOperation.DeviceNoSubscription');
    expect(m.subscribe(0, 'a', 2)).toBe(1);
    const q0 = m.publish(0, 'a', 0, 'd0').msg;
    const q1 = m.publish(0, 'a', 1, 'd0').msg;
    expect(m.required(0)).toEqual([q1]);
    expect(m.devices[0]!.optional.has(q0.id)).toBe(true);
  });

  test('a message stored 24 h ago is no longer owed', () => {
    const m = new Model(1, 'r');
    m.connect(0, false, false);
    m.subscribe(0, 'a', 1);
    const msg = m.publish(0, 'a', 1, 'd0').msg;
    m.advance(23 * HOUR_MS);
    m.disconnect(0);
    m.advance(2 * HOUR_MS);
    m.connect(0, false, true);
    expect(m.required(0)).toEqual([]);
    expect(m.devices[0]!.allowed.has(msg.id)).toBe(false);
    expect(DAY_MS).toBe(24 * HOUR_MS);
  });

  test('the in-flight window: only the first 150 are owed while PUBACKs are withheld', () => {
    const m = new Model(1, 'r');
    m.connect(0, true, false);
    m.subscribe(0, 'a', 1);
    const ids = Array.from({ length: 151 }, () => m.publish(0, 'a', 1, 'd0').msg.id);
    expect(m.required(0)).toHaveLength(150);
    m.ack(0, ids.slice(0, 10));
    expect(m.required(0).map((x) => x.id)).toEqual(ids.slice(10));
  });
});

describe('judge', () => {
  function online(): Model {
    const m = new Model(1, 'r');
    m.connect(0, false, false);
    m.subscribe(0, 'a', 1);
    return m;
  }

  test('conforming receipts pass', () => {
    const m = online();
    const a = m.publish(0, 'a', 1, 'd0').msg;
    const b = m.publish(0, 'a', 1, 'd0').msg;
    expect(judge(m, 0, [r(a.id), r(b.id)], new Set(), 2)).toEqual([]);
  });

  test('missing, reordered, unknown, wrong QoS, repeat without DUP, window overflow', () => {
    const m = online();
    const a = m.publish(0, 'a', 1, 'd0').msg;
    const b = m.publish(0, 'a', 1, 'd0').msg;
    expect(judge(m, 0, [r(a.id)], new Set(), 1).join('\n')).toMatch(/did not receive r:2/);
    expect(judge(m, 0, [r(b.id), r(a.id)], new Set(), 2).join('\n')).toMatch(/received r:2 before r:1/);
    expect(judge(m, 0, [r(a.id), r(b.id), r('r:99')], new Set(), 2).join('\n')).toMatch(/must not receive/);
    expect(judge(m, 0, [r(a.id, { qos: 0 }), r(b.id)], new Set(), 2).join('\n')).toMatch(/at QoS 0; expected QoS 1/);
    expect(judge(m, 0, [r(a.id), r(b.id)], new Set([a.id]), 2).join('\n')).toMatch(/again without DUP/);
    expect(judge(m, 0, [r(a.id, { dup: true }), r(b.id)], new Set([a.id]), 2)).toEqual([]);
    expect(judge(m, 0, [r(a.id), r(b.id)], new Set(), 151).join('\n')).toMatch(/at most 150/);
  });

  test('a resend keeps the packet identifier the message was first sent with', () => {
    const m = online();
    const a = m.publish(0, 'a', 1, 'd0').msg;
    const first = new Map([[a.id, 7]]);
    expect(judge(m, 0, [r(a.id, { dup: true, messageId: 7 })], new Set([a.id]), 1, first)).toEqual([]);
    expect(judge(m, 0, [r(a.id, { dup: true, messageId: 8 })], new Set([a.id]), 1, first).join('\n')).toMatch(/packet identifier 8; it was first sent with 7/);
  });

  test('QoS 0 at most once; nothing after UNSUBSCRIBE', () => {
    const m = online();
    m.subscribe(0, 'b', 0);
    const q0 = m.publish(0, 'b', 0, 'd0').msg;
    expect(judge(m, 0, [r(q0.id, { qos: 0 }), r(q0.id, { qos: 0 })], new Set(), 0).join('\n')).toMatch(/at most once/);
    m.unsubscribe(0, 'b');
    const late = m.publish(0, 'b', 0, 'd0').msg;
    expect(judge(m, 0, [r(late.id, { qos: 0 })], new Set(), 0).join('\n')).toMatch(/must not receive/);
  });
});

// Where a cloud action finds a device's live connection (hub/services/reach.ts). Aedes answers a login's CONNACK
// before it has finished closing the device's older connection, which it keeps in broker.clients until then (marked
// closed, its subscriptions being dropped), so a device may already be subscribed on a connection broker.clients does
// not name yet, here or on another worker of a cluster. RRPC took the closing one for the device's and refused
// DeviceNoSubscription.

import { EventEmitter } from 'node:events';
import type { Client } from 'aedes';
import { describe, expect, test } from 'vitest';
import { Sessions } from '../../hub/auth/sessions.js';
import type { Registry } from '../../hub/registry/index.js';
import type { TurnWrites } from '../../hub/registry/turn-writes.js';
import { answerSubscribed, coversTopic, localClient } from '../../hub/services/reach.js';
import type { ServiceContext } from '../../hub/services/types.js';

const TOPIC = '$rrpc/rxd/P1/dev/7';
const RRPC_FILTER = { '$rrpc/rxd/P1/dev/+': { qos: 0 } };

interface FakeClient { closed: boolean; subscriptions: Record<string, { qos: number }>; conn: EventEmitter }
const client = (closed: boolean, subscriptions: Record<string, { qos: number }> = {}): FakeClient => ({ closed, subscriptions, conn: new EventEmitter() });

/** A real Sessions (the hub's logins) with the registry writes it makes done at once. */
function sessions(): Sessions {
  const registry = { markOnline() {}, markOffline() {} } as unknown as Registry;
  const writes = { add: (f: () => void) => (f(), Promise.resolve()), fire: (_what: string, f: () => void) => f() } as unknown as TurnWrites;
  return new Sessions(registry, () => 0, () => {}, writes);
}

/** A hub context whose broker.clients names `inBroker` (as Aedes would, mid-takeover) and whose logins are `logins`. */
function contextWith(logins: FakeClient[], inBroker?: FakeClient) {
  const s = sessions();
  for (const c of logins) void s.bind(c as unknown as Client, 'P1', 'dev', '127.0.0.1');
  const answers = new Map<string, (data: unknown) => unknown>();
  const ctx = {
    broker: { clients: inBroker ? { P1dev: inBroker } : {} },
    sessions: s,
    bus: { clustered: true, answer: (name: string, handler: (data: unknown) => unknown) => answers.set(name, handler) },
  } as unknown as ServiceContext;
  return { ctx, answers, sessions: s };
}

describe('the device connection a cloud action acts on', () => {
  test('an open connection is found, with the subscriptions it holds', () => {
    const open = client(false, RRPC_FILTER);
    const { ctx } = contextWith([open], open);
    expect(localClient(ctx, 'P1', 'dev', false)).toBe(open);
    expect(coversTopic(localClient(ctx, 'P1', 'dev', false), TOPIC)).toBe(true);
  });

  test('while the older connection is still being closed (and still in broker.clients), the new one is found', () => {
    const old = client(true, {});
    const fresh = client(false, RRPC_FILTER);
    const { ctx } = contextWith([old, fresh], old);
    expect(localClient(ctx, 'P1', 'dev', false)).toBe(fresh);
    expect(coversTopic(localClient(ctx, 'P1', 'dev', false), TOPIC)).toBe(true);
  });

  test('a connection being torn down is none, even while it still lists subscriptions', () => {
    const closing = client(true, RRPC_FILTER);
    const { ctx } = contextWith([closing], closing);
    expect(localClient(ctx, 'P1', 'dev', false)).toBeUndefined();
  });

  test('a connection is none once its socket has closed (the hub unbinds it), before Aedes marks it closed', () => {
    const open = client(false, RRPC_FILTER);
    const { ctx } = contextWith([open]);
    open.conn.emit('close');
    expect(localClient(ctx, 'P1', 'dev', false)).toBeUndefined();
  });

  test('a sub-device online through its gateway is reached on the gateway\'s connection, while that one is open', () => {
    const gateway = client(false, {});
    const { ctx, sessions: s } = contextWith([]);
    void s.bind(gateway as unknown as Client, 'P1', 'gw', '127.0.0.1');
    expect(s.proxyOnline(gateway as unknown as Client, 'P1', 'dev')).toBe(true);
    expect(localClient(ctx, 'P1', 'dev', true)).toBe(gateway);
    expect(localClient(ctx, 'P1', 'dev', false), 'not when the action does not act through gateways').toBeUndefined();
    gateway.closed = true;
    expect(localClient(ctx, 'P1', 'dev', true), 'the gateway\'s connection is being closed').toBeUndefined();
  });

  test('asked by another worker, a worker holding only a closing connection says it holds none; one with the new connection says it is subscribed', () => {
    const question = { productId: 'P1', deviceName: 'dev', topic: TOPIC };
    const closing = client(true, {});
    const onlyClosing = contextWith([closing], closing);
    answerSubscribed(onlyClosing.ctx, 'q', false);
    expect(onlyClosing.answers.get('q')!(question)).toEqual({ connected: false, subscribed: false });
    const takenOver = contextWith([closing, client(false, RRPC_FILTER)], closing);
    answerSubscribed(takenOver.ctx, 'q', false);
    expect(takenOver.answers.get('q')!(question)).toEqual({ connected: true, subscribed: true });
  });
});

// Where a cloud action finds a device's live connection (hub/services/reach.ts). Aedes tears a connection down in
// steps: it marks it closed, drops its subscriptions (a Redis round trip in a cluster), and only then forgets it. In
// that window the device's new connection may already be subscribed on another worker, so the closing one must not
// answer for the device: RRPC took its empty subscriptions for the device's and refused DeviceNoSubscription.

import { describe, expect, test } from 'vitest';
import { answerSubscribed, coversTopic, localClient, type ClientView } from '../../hub/services/reach.js';
import type { ServiceContext } from '../../hub/services/types.js';

const TOPIC = '$rrpc/rxd/P1/dev/7';

function contextWith(client: ClientView | undefined, proxied?: ClientView) {
  const answers = new Map<string, (data: unknown) => unknown>();
  const ctx = {
    broker: { clients: client ? { P1dev: client } : {} },
    sessions: { proxyClient: () => proxied },
    bus: { clustered: true, answer: (name: string, handler: (data: unknown) => unknown) => answers.set(name, handler) },
  } as unknown as ServiceContext;
  return { ctx, answers };
}

describe('the device connection a cloud action acts on', () => {
  test('an open connection is found, with the subscriptions it holds', () => {
    const open: ClientView = { closed: false, subscriptions: { '$rrpc/rxd/P1/dev/+': { qos: 0 } } };
    const { ctx } = contextWith(open);
    expect(localClient(ctx, 'P1', 'dev', false)).toBe(open);
    expect(coversTopic(localClient(ctx, 'P1', 'dev', false), TOPIC)).toBe(true);
  });

  test('a connection being torn down is none, even while it still lists subscriptions', () => {
    for (const subscriptions of [{ '$rrpc/rxd/P1/dev/+': { qos: 0 } }, {}] as ClientView['subscriptions'][]) {
      const { ctx } = contextWith({ closed: true, subscriptions });
      expect(localClient(ctx, 'P1', 'dev', false), JSON.stringify(subscriptions)).toBeUndefined();
    }
  });

  test('a sub-device is reached through its gateway\'s connection only while that connection is open', () => {
    const gateway: ClientView = { closed: false, subscriptions: {} };
    expect(localClient(contextWith(undefined, gateway).ctx, 'P1', 'dev', true)).toBe(gateway);
    expect(localClient(contextWith(undefined, gateway).ctx, 'P1', 'dev', false)).toBeUndefined();
    expect(localClient(contextWith(undefined, { closed: true }).ctx, 'P1', 'dev', true)).toBeUndefined();
  });

  test('asked by another worker, a worker holding only a closing connection says it holds none', () => {
    const question = { productId: 'P1', deviceName: 'dev', topic: TOPIC };
    const closing = contextWith({ closed: true, subscriptions: {} });
    answerSubscribed(closing.ctx, 'q', false);
    expect(closing.answers.get('q')!(question)).toEqual({ connected: false, subscribed: false });
    const open = contextWith({ closed: false, subscriptions: { '$rrpc/rxd/P1/dev/+': { qos: 0 } } });
    answerSubscribed(open.ctx, 'q', false);
    expect(open.answers.get('q')!(question)).toEqual({ connected: true, subscribed: true });
  });
});

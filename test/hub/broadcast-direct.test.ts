// The broadcast's direct route (hub/services/broadcast/direct.ts) holds its writes to the end of the event-loop turn,
// so the broadcasts of one turn leave in one write per connection, in order, and a closed connection is left alone.

import type { Aedes } from 'aedes';
import { expect, test } from 'vitest';
import { directRoute } from '../../hub/services/broadcast/direct.js';

/** A connection that records what leaves it: writes made while corked leave together at the uncork. */
function recordingConn() {
  let corked = 0;
  let pending: Buffer[] = [];
  const flushes: Buffer[][] = [];
  return {
    flushes,
    writableLength: 0,
    destroyed: false,
    cork() { corked++; },
    uncork() { if (corked > 0 && --corked === 0 && pending.length) { flushes.push(pending); pending = []; } },
    write(b: Buffer) { if (corked) pending.push(b); else flushes.push([b]); return true; },
    get corked() { return corked; },
  };
}

function brokerWith(conns: Record<string, ReturnType<typeof recordingConn>>) {
  const funcs = new Map<string, () => void>();
  const clients = Object.fromEntries(Object.entries(conns).map(([id, conn]) => {
    const func = () => {};
    funcs.set(`$broadcast/rxd/P1/${id}`, func);
    return [id, { id, version: 4, connected: true, closed: false, subscriptions: { [`$broadcast/rxd/P1/${id}`]: { func } }, duplicates: {}, conn }];
  }));
  return {
    id: 'broker', counter: 0, clients,
    mq: { _messageQueue: [], _matcher: { match: (topic: string) => [funcs.get(topic)] } },
    published: (_p: unknown, _c: unknown, done: () => void) => done(),
    authorizeForward: (_c: unknown, p: unknown) => p,
    emit: () => true,
  } as unknown as Aedes;
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

test('two broadcasts planned and sent in one turn leave each connection in one write, in order, at the end of the turn', async () => {
  const a = recordingConn();
  const b = recordingConn();
  const route = directRoute(brokerWith({ a, b }), () => {})!;
  expect(route, 'the fake broker has the internals the route needs').toBeDefined();
  for (const text of ['first', 'second']) {
    const planned = ['a', 'b'].map((id) => route.plan(id, `$broadcast/rxd/P1/${id}`, Buffer.from(text))!);
    route.send(planned);
  }
  expect(a.flushes, 'nothing leaves before the end of the turn').toEqual([]);
  await nextTurn();
  for (const conn of [a, b]) {
    expect(conn.flushes.length, 'one write per connection').toBe(1);
    // a short QoS 0 PUBLISH: header byte, one length byte, topic length and topic, then the payload
    expect(conn.flushes[0]!.map((p) => p.subarray(4 + p.readUInt16BE(2)).toString()), 'in the order sent').toEqual(['first', 'second']);
    expect(conn.corked, 'uncorked again').toBe(0);
  }
});

test('a connection destroyed before the end of the turn is not uncorked', async () => {
  const a = recordingConn();
  const route = directRoute(brokerWith({ a }), () => {})!;
  route.send([route.plan('a', '$broadcast/rxd/P1/a', Buffer.from('x'))!]);
  a.destroyed = true;
  await nextTurn();
  expect(a.corked, 'left as it was').toBe(1);
  expect(a.flushes).toEqual([]);
});

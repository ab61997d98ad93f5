// A device connection's writes (hub/write-batch.ts): the first ones of a turn are not held, so a client that keeps
// Nagle's algorithm on is not left waiting for a delayed ACK; past the threshold the rest of the turn leaves together
// in the check phase.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { BATCH_AFTER_WRITES, batchWrites } from '../../hub/write-batch.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A loopback connection; resolves the server's side, wrapped, and a promise of the bytes the client reads. */
async function connection(): Promise<{ side: Socket; received: (bytes: number) => Promise<void> }> {
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer((s) => resolve(s));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server!.address() as { port: number }).port;
  const client = createConnection(port, '127.0.0.1');
  sockets.push(client);
  const side = await accepted;
  sockets.push(side);
  batchWrites(side);
  let got = 0;
  const waiters: { bytes: number; resolve: () => void }[] = [];
  client.on('data', (d: Buffer) => {
    got += d.length;
    for (const w of waiters.filter((x) => got >= x.bytes)) w.resolve();
  });
  const received = (bytes: number) => new Promise<void>((resolve) => (got >= bytes ? resolve() : waiters.push({ bytes, resolve })));
  return { side, received };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

test('the first writes of a turn are not held: the socket is not corked by them', async () => {
  const { side, received } = await connection();
  for (let i = 0; i < BATCH_AFTER_WRITES - 1; i++) side.write(Buffer.from([i & 0x7f]));
  expect(side.writableCorked, 'corked after fewer writes than the threshold').toBe(0);
  await received(BATCH_AFTER_WRITES - 1);
});

test('past the threshold, the rest of the turn is held until its check phase, then all of it leaves', async () => {
  const { side, received } = await connection();
  const total = BATCH_AFTER_WRITES + 20;
  for (let i = 0; i < total; i++) side.write(Buffer.from([1]));
  expect(side.writableCorked, 'held once the threshold is reached').toBe(1);
  expect(side.writableLength, 'the writes past the threshold wait in the socket').toBeGreaterThanOrEqual(total - BATCH_AFTER_WRITES);
  await nextTurn();
  expect(side.writableCorked, 'released in the check phase').toBe(0);
  await received(total);
});

test('the count starts again each turn: a connection held in one turn is not held in the next for its first writes', async () => {
  const { side, received } = await connection();
  for (let i = 0; i < BATCH_AFTER_WRITES; i++) side.write(Buffer.from([2]));
  expect(side.writableCorked).toBe(1);
  await nextTurn();
  side.write(Buffer.from([3]));
  expect(side.writableCorked, 'the first write of the next turn').toBe(0);
  await received(BATCH_AFTER_WRITES + 1);
});

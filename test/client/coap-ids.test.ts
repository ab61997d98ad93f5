// The suites' CoAP client never gives a request the message id of a datagram it sent by hand: a hub answers a repeated
// id as a retransmission, so the answer to a malformed datagram would be taken for the request's (a correct hub was
// once accused that way when a generated id met the client's next one).
import { createSocket } from 'node:dgram';
import { expect, it } from 'vitest';
import { CoapDevice } from '../../src/client/coap.js';

it('a request skips the message ids of hand-made datagrams', async () => {
  const server = createSocket('udp4');
  const ids: number[] = [];
  server.on('message', (d) => ids.push(d.readUInt16BE(2)));
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const coap = await CoapDevice.open(`coap://127.0.0.1:${server.address().port}`);
  try {
    // the ids the next two requests would take, sent by hand first
    const next = CoapDevice.nextMessageId();
    const taken = [(next + 1) & 0xffff, (next + 2) & 0xffff];
    for (const id of taken) coap.send(Buffer.from([0x40, 0x02, id >> 8, id & 0xff, 0xf1, 0x00]));
    await coap.request('p/d/txauth9w0BAQsFA', 'x', {}, 50);
    await coap.request('p/d/txauth9w0BAQsFA', 'x', { messageId: 7 }, 50); // an explicit id is the caller's choice
    await new Promise((r) => setTimeout(r, 50));
    expect(ids.slice(0, 2)).toEqual(taken);
    expect(taken).not.toContain(ids[2]);
    expect(ids[2]).toBe((next + 3) & 0xffff);
    expect(ids[3]).toBe(7);
  } finally {
    coap.close();
    server.close();
  }
});

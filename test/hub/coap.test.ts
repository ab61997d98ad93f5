// The CoAP endpoint's bounded state (tokens, peers, remembered message ids) and its handling of bad datagrams and the
// DTLS relay's key lookup, without the suites' product fixtures.
import { createSocket } from 'node:dgram';
import { generate, parse } from 'coap-packet';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { pskOf } from '../../hub/coap/dtls/relay.js';
import { Peers } from '../../hub/coap/peers.js';
import { EXCHANGE_LIFETIME_MS, EXCHANGES_PER_PEER, MAX_PEERS, TOKEN_TTL_MS, TOKENS_PER_DEVICE } from '../../hub/coap/protocol.js';
import { Tokens } from '../../hub/coap/tokens.js';
import { startHub, type RunningHub } from '../../hub/index.js';

test('a device holds at most TOKENS_PER_DEVICE tokens: the oldest goes first', () => {
  const tokens = new Tokens(() => 0);
  const issued = Array.from({ length: TOKENS_PER_DEVICE + 3 }, () => tokens.issue('P', 'd'));
  expect(tokens.size).toBe(TOKENS_PER_DEVICE);
  for (const t of issued.slice(0, 3)) expect(tokens.check(t)).toBe('unknown');
  for (const t of issued.slice(3)) expect(tokens.check(t)).toMatchObject({ productId: 'P', deviceName: 'd' });
});

test('a token expires at TOKEN_TTL_MS on the clock it was given, and is then forgotten', () => {
  let now = 1000;
  const tokens = new Tokens(() => now);
  const t = tokens.issue('P', 'd');
  now += TOKEN_TTL_MS - 1;
  expect(tokens.check(t)).not.toBe('expired');
  now += 1;
  expect(tokens.check(t)).toBe('expired');
  expect(tokens.check(t)).toBe('unknown');
  expect(tokens.size).toBe(0);
});

test('peers are bounded: past MAX_PEERS the least recently heard is forgotten', () => {
  const peers = new Peers(() => 0);
  for (let i = 0; i < MAX_PEERS + 10; i++) peers.get(`10.0.0.1:${i}`);
  expect(peers.size).toBe(MAX_PEERS);
  expect(peers.peek('10.0.0.1:0')).toBeUndefined();
  expect(peers.peek(`10.0.0.1:${MAX_PEERS + 9}`)).toBeDefined();
});

test('a peer remembers at most EXCHANGES_PER_PEER message ids, each for EXCHANGE_LIFETIME_MS', () => {
  let now = 0;
  const peers = new Peers(() => now);
  const peer = peers.get('p');
  for (let mid = 0; mid < EXCHANGES_PER_PEER + 5; mid++) peers.remember(peer, mid, Buffer.from([mid & 0xff]));
  expect(peer.seen.size).toBe(EXCHANGES_PER_PEER);
  expect(peers.recall(peer, 0)).toBe('new');
  expect(peers.recall(peer, EXCHANGES_PER_PEER + 4)).toBeInstanceOf(Buffer);
  now += EXCHANGE_LIFETIME_MS + 1;
  expect(peers.recall(peer, EXCHANGES_PER_PEER + 4)).toBe('new');
  peers.sweep();
  expect(peers.size).toBe(0);
});

test("the relay's key of an identity is the device's decoded PSK; unknown or disabled devices have none", () => {
  const psk = Buffer.from('0123456789abcdef').toString('base64');
  const lookup = { getDevice: (pid: string, dn: string) => (pid === 'ABCDEFGHIJ' && dn === 'dev' ? { psk, enableState: 1 } : pid === 'ABCDEFGHIJ' && dn === 'off' ? { psk, enableState: 0 } : undefined) };
  expect(pskOf(lookup as never, 'ABCDEFGHIJdev')?.toString()).toBe('0123456789abcdef');
  expect(pskOf(lookup as never, 'ABCDEFGHIJoff')).toBeUndefined();
  expect(pskOf(lookup as never, 'ABCDEFGHIJnone')).toBeUndefined();
  expect(pskOf(lookup as never, '')).toBeUndefined();
});

let hub: RunningHub;
beforeAll(async () => {
  hub = await startHub({ coapsPort: false });
});
afterAll(async () => {
  await hub.close();
});

/** Sends datagrams and collects what comes back until a final CoAP ping's reset arrives (an ordering barrier). */
async function exchange(datagrams: Buffer[]): Promise<Buffer[]> {
  const url = new URL(hub.endpoints.coap!);
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const got: Buffer[] = [];
  const pingMid = 0x7777;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reset to the closing ping within 5 s')), 5000);
    s.on('message', (m) => {
      if (m.length === 4 && ((m[0]! >> 4) & 3) === 3 && m.readUInt16BE(2) === pingMid) {
        clearTimeout(timer);
        resolve();
      } else got.push(m);
    });
  });
  for (const d of datagrams) s.send(d, Number(url.port), url.hostname);
  s.send(generate({ confirmable: true, messageId: pingMid, code: '0.00' }), Number(url.port), url.hostname);
  await done;
  s.close();
  return got;
}

test('bad datagrams: short or foreign ones are dropped, an unreadable confirmable one gets 4.00 with its id, and the hub goes on', async () => {
  const unreadable = Buffer.from([0x40, 0x02, 0x12, 0x34, 0xf1, 0x00]); // CON, option delta 15 is reserved
  const got = await exchange([Buffer.alloc(0), Buffer.from([0x40]), Buffer.from([0xc0, 0x02, 0, 1]), Buffer.from([0x00, 0x02, 0, 2]), Buffer.alloc(3000, 0x40), unreadable]);
  expect(got.length).toBe(1);
  const answer = parse(got[0]!);
  expect(answer).toMatchObject({ ack: true, code: '4.00', messageId: 0x1234 });
});

test('a response code inside a confirmable request is reset, a GET gets 4.05, a POST without a path 4.04', async () => {
  const got = await exchange([
    generate({ confirmable: true, messageId: 1, code: '2.05' }),
    generate({ confirmable: true, messageId: 2, code: 'GET', options: [{ name: 'Uri-Path', value: Buffer.from('a') }] }),
    generate({ confirmable: true, messageId: 3, code: 'POST' }),
  ]);
  const byMid = new Map(got.map((g) => parse(g)).map((p) => [p.messageId, p]));
  expect(byMid.get(1)).toMatchObject({ reset: true });
  expect(byMid.get(2)).toMatchObject({ ack: true, code: '4.05' });
  expect(byMid.get(3)).toMatchObject({ ack: true, code: '4.04' });
});

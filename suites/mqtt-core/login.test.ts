// Plain MQTT 3.1.1 login: protocol levels, the CONNECT-first rule, plain credentials, free-form ClientIds (profile mqtt-core).
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { LoginRefused } from '../../src/client/device.js';
import { req, reqProperty } from '../support/harness.js';
import { useProduct } from '../support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from '../support/wire.js';
import { connectBytes, login } from './support.js';

const product = useProduct('core_login', { devices: ['d1'] });

describe('CONNECT', () => {
  req(['AUTH-024'], 'a CONNECT with an unknown protocol level gets CONNACK 0x01 and the connection closes, whatever its length', async (h) => {
    // The level is judged however long the CONNECT is: the shortest one (an empty ClientId: 14 bytes in all, less than
    // a 3.1.1 CONNECT with MQIsdp), a short one, and one carrying a signed login's username and password, whose
    // remaining length takes two bytes (an MQTT 5 client given the device's credentials sends such a CONNECT).
    const credentials = { username: 'ABCDEFGHIJhclevel;12010126;a1b2c;4102444800', password: `${'0a'.repeat(32)};hmacsha256` };
    // Not 5: an MQTT 5 broker knows it (the mqtt-core profile runs against such brokers too).
    for (const level of [2, 6, 255]) {
      const forms: [string, Buffer][] = [
        ['an empty ClientId', connectBytes(level, '')],
        ['a ClientId', connectBytes(level, `hclevel${level}`)],
        ['a username and password', connectBytes(level, `hclevel${level}`, 'MQTT', credentials)],
      ];
      expect(forms[0]![1].length, 'the shortest CONNECT').toBe(14);
      expect(forms[2]![1][1]! & 0x80, 'a remaining length of two bytes').toBe(0x80);
      for (const [form, bytes] of forms) {
        const what = `protocol level ${level} with ${form}`;
        const conn = await h.raw(`level${level}`);
        conn.sendBytes(bytes, `CONNECT with ${what}`);
        const answer = await conn.next(ROUND_TRIP_LIMIT_MS);
        expect(answer?.cmd, `answer to ${what}`).toBe('connack');
        expect((answer as { returnCode?: number }).returnCode, `CONNACK code for ${what}`).toBe(1);
        expect(await conn.closesWithin(ROUND_TRIP_LIMIT_MS), `connection closed after ${what}`).toBe(true);
      }
    }
  });

  req(['AUTH-025'], 'a connection whose first packet is not CONNECT, or that sends CONNECT twice, is closed', async (h) => {
    for (const first of [{ cmd: 'pingreq' }, { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a', qos: 0 }] }, { cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }]) {
      const conn = await h.raw(`first-${first.cmd}`);
      conn.send(first);
      expect(await conn.closesWithin(ROUND_TRIP_LIMIT_MS), `closed after ${first.cmd.toUpperCase()} as first packet`).toBe(true);
      expect(conn.pending.some((p) => p.cmd === 'connack' || p.cmd === 'pingresp' || p.cmd === 'suback'), 'nothing answered').toBe(false);
    }
    const device = await login(h, product.device('d1'));
    device.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'second' });
    expect(await device.closesWithin(ROUND_TRIP_LIMIT_MS), 'closed after a second CONNECT').toBe(true);
  });
});

describe('plain credentials', () => {
  req(['AUTH-026'], 'the credentials the descriptor names (or none, for an anonymous broker) are accepted', async (h) => {
    const device = await login(h, product.device('d1'));
    expect(device.isOpen).toBe(true);
  });

  req(['AUTH-027'], 'a wrong plain password is refused with CONNACK 0x04 or 0x05', async (h) => {
    const plain = h.target.plainLogin;
    if (!plain) return h.ctx.skip('the target names no plain credentials (anonymous broker): there is no password to get wrong');
    try {
      await h.connect({ clientId: 'hcwrongpw', username: plain.username, password: `${plain.password}x` });
      expect.fail('a wrong password was accepted');
    } catch (e) {
      if (!(e instanceof LoginRefused)) throw e;
      expect([4, 5]).toContain(e.returnCode);
    }
  });

  reqProperty(['AUTH-028'], 'any ClientId of 1-23 letters and digits is accepted',
    [fc.stringMatching(/^[0-9a-zA-Z]{1,23}$/)],
    async (h, clientId) => {
      const device = await h.connect({ clientId, ...(h.target.plainLogin ?? {}) });
      expect(device.isOpen).toBe(true);
    }, { numRuns: 25 });
});

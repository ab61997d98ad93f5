// The harness model agrees with every golden vector in specs/vectors/.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  afterUnsubscribe, judgeSubscribe, mayPublish, parseUsername, signGatewayRequest, signPassword, signTc3, signV1, topicClasses,
  type CustomClass, type SignMethod,
} from '../../src/protocol/index.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../../specs/vectors/${name}`, import.meta.url), 'utf8'));

describe('credential vectors', () => {
  for (const v of load('credentials.json').vectors) {
    it(v.name, () => {
      expect(signPassword(v.username, v.psk, v.method as SignMethod)).toBe(v.password);
      expect(parseUsername(v.username)).toEqual({ clientId: v.clientId, sdkappid: v.sdkappid, connid: v.connid, expiry: BigInt(v.expiry) });
    });
  }
});

describe('ACL and wildcard vectors', () => {
  const doc = load('acl.json');
  const classes = topicClasses(doc.device, doc.customClasses as CustomClass[]);
  for (const v of doc.publish) {
    it(`publish ${v.topic} → ${v.allowed ? 'allowed' : 'refused'}`, () => expect(mayPublish(classes, v.topic)).toBe(v.allowed));
  }
  for (const v of doc.subscribe) {
    it(`subscribe ${v.filter} → ${v.granted ? 'granted' : '0x80'}`, () => {
      const out = judgeSubscribe(doc.device, classes, v.filter, 1);
      expect(out.granted).toBe(v.granted);
      if (out.granted) expect([...out.subscriptions].sort()).toEqual([...v.subscriptions].sort());
    });
  }
  for (const v of doc.unsubscribe) {
    it(`unsubscribe ${v.filter} from ${v.holding.length} subscriptions`, () => {
      expect([...afterUnsubscribe(doc.device, classes, v.holding, v.filter)].sort()).toEqual([...v.left].sort());
    });
  }
});

describe('cloud API signature vectors', () => {
  const doc = load('cloud-api.json');
  for (const v of doc.tc3) {
    it(v.name, () => {
      const s = signTc3(v);
      expect(s.hashedBody).toBe(v.hashedBody);
      expect(s.hashedCanonicalRequest).toBe(v.hashedCanonicalRequest);
      expect(s.authorization).toBe(v.authorization);
    });
  }
  for (const v of doc.v1) {
    it(v.name, () => expect(signV1(v.method, v.host, v.params, v.secretKey, v.algorithm)).toBe(v.signature));
  }
});

describe('HTTP gateway signature vectors', () => {
  for (const v of load('http-gateway.json').vectors) {
    it(v.name, () => {
      const s = signGatewayRequest({ secret: v.secret, method: v.method, host: v.host, uri: v.uri, algorithm: v.algorithm, timestamp: v.timestamp, nonce: v.nonce, body: v.body });
      expect(s.stringToSign).toBe(v.stringToSign);
      expect(s.signature).toBe(v.signature);
      expect(s.headers['X-TC-Algorithm']).toBe(v.algorithm);
    });
  }
});

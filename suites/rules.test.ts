// The rules engine (protocol.md §10): management, the SQL dialect against a golden corpus and a reference evaluator, republish, forward, state events.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { CloudApi, apiErrorCode as code } from '../src/client/cloud-api.js';
import type { Device } from '../src/client/device.js';
import { forwardSignature, instantiate, loadCorpus, mismatch, parseRule, runRule, topicMatches, type JsonValue } from '../src/protocol/rules/index.js';
import type { ReqId } from '../specs/requirements/index.js';
import { currentTarget, req, reqProperty, type Harness } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { ForwardSink } from './support/rules-sink.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const product = useProduct('rules', {
  devices: ['src', 'obs', 'dst'],
  policies: [{ name: 't', privilege: 1 }, { name: 't/+', privilege: 1 }, { name: 'mark', privilege: 1 }],
});

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const ruleName = (p = 'r') => `${p}_${randomBytes(6).toString('hex')}`;
const names = () => ({ pid: product.productId, src: 'src' });
const outTopic = () => `${product.productId}/obs/data`;
const markTopic = () => `${product.productId}/obs/mark`;

/** Rules made by a test; removed at its end even when it fails. */
class Rules {
  private readonly made = new Set<string>();
  constructor(readonly api: CloudApi) {}
  async create(name: string, sql: string, actions: unknown[], o: { disabled?: boolean; sqlBase64?: string } = {}): Promise<void> {
    await this.api.call('CreateTopicRule', {
      RuleName: name,
      TopicRulePayload: { Sql: o.sqlBase64 ?? b64(sql), Actions: JSON.stringify(actions), Description: 'hubcheck', RuleDisabled: o.disabled ?? false },
    });
    this.made.add(name);
  }
  async remove(name: string): Promise<void> {
    this.made.delete(name);
    await this.api.call('DeleteTopicRule', { RuleName: name });
  }
  async cleanup(): Promise<void> {
    for (const n of [...this.made]) await this.api.call('DeleteTopicRule', { RuleName: n }).catch(() => {});
    this.made.clear();
  }
}

// One rule for the whole file echoes markers the observer publishes to its output topic: the ordering barrier.
let barrierRule = '';
let adminApi: CloudApi;
beforeAll(async () => {
  const t = currentTarget();
  if (!t.capabilities.includes('rules-engine')) return;
  adminApi = new CloudApi({ endpoint: t.endpoints.api, ...t.cloudApi });
  barrierRule = ruleName('barrier');
  await adminApi.call('CreateTopicRule', {
    RuleName: barrierRule,
    TopicRulePayload: { Sql: b64(`SELECT * FROM '${markTopic()}'`), Actions: JSON.stringify([{ republish: { topic: outTopic() } }]) },
  });
});
afterAll(async () => {
  if (barrierRule) await adminApi.call('DeleteTopicRule', { RuleName: barrierRule }).catch(() => {});
});

let barrierSeq = 0;
/** Everything the observer got on its output topic before a marker sent after the source's (acknowledged) publishes. */
async function outputsUntilBarrier(obs: Device, from: number): Promise<Buffer[]> {
  const marker = `{"__barrier":"${++barrierSeq}-${randomBytes(3).toString('hex')}"}`;
  await obs.publish(markTopic(), marker, 1);
  const got = await obs.waitFor((m) => m.topic === outTopic() && m.payload.toString() === marker, ROUND_TRIP_LIMIT_MS);
  if (!got) throw new Error(`the barrier marker did not come back on ${outTopic()} within ${ROUND_TRIP_LIMIT_MS} ms; cannot judge the rule's output`);
  const all = obs.received(outTopic()).slice(from);
  const end = all.findIndex((m) => m.payload.toString() === marker);
  return all.slice(0, end).filter((m) => !m.payload.toString().startsWith('{"__barrier"')).map((m) => m.payload);
}

async function pair(h: Harness): Promise<{ src: Device; obs: Device }> {
  const src = await h.device(product.device('src'));
  const obs = await h.device(product.device('obs'));
  await obs.subscribe(outTopic(), 1);
  return { src, obs };
}

const corpus = loadCorpus();

describe('SQL dialect: golden corpus', () => {
  for (const c of corpus) {
    req(c.requirements as ReqId[], `corpus ${c.id}: ${c.title}`, async (h) => {
      const k = instantiate(c, names());
      const rules = new Rules(h.api());
      try {
        const name = ruleName('corpus');
        h.trace.add('rule', `${c.id}: ${k.sql}`);
        if ('error' in k.expect) {
          const got = await code(rules.create(name, k.sql, [{ republish: { topic: outTopic() } }], { sqlBase64: k.sqlBase64 }));
          expect(got, `CreateTopicRule with ${JSON.stringify(k.sql)}`).toBe(k.expect.error);
          return;
        }
        const filter = parseRule(k.sql);
        if (!('error' in filter)) {
          expect(topicMatches(filter.filter, markTopic()) || topicMatches(filter.filter, outTopic()), 'corpus filters must not reach the barrier topics').toBe(false);
        }
        const { src, obs } = await pair(h);
        await rules.create(name, k.sql, [{ republish: { topic: outTopic() } }]);
        const from = obs.received(outTopic()).length;
        await src.publish(k.topic, k.payload, 1);
        const outputs = await outputsUntilBarrier(obs, from);
        if ('none' in k.expect) {
          expect(outputs.map(String), 'the rule must not fire').toEqual([]);
        } else if ('outputRaw' in k.expect) {
          expect(outputs.map(String)).toEqual([k.expect.outputRaw]);
        } else {
          expect(outputs.length, `one republished message (got ${outputs.map(String).join(' | ')})`).toBe(1);
          let json: unknown;
          try { json = JSON.parse(outputs[0]!.toString('utf8')); } catch { json = outputs[0]!.toString('utf8'); }
          expect(mismatch(k.expect.output, json), `output of ${k.sql}`).toBeNull();
        }
      } finally {
        await rules.cleanup();
      }
    });
  }
});

// Generated statements and messages: the hub's republished outputs equal the reference evaluator's.
const FIELD = fc.constantFrom('a', 'b', 's', 'n.x', 'n');
const LIT = fc.oneof(fc.integer({ min: -3, max: 12 }).map(String), fc.constantFrom("'red'", "'5'", '"blue"', 'true'));
const OPERAND = fc.oneof(FIELD, LIT, fc.tuple(FIELD, fc.constantFrom('+', '-', '*', '%', '/'), fc.integer({ min: 0, max: 4 })).map(([f, o, n]) => `${f} ${o} ${n}`));
const CMP = fc.tuple(OPERAND, fc.constantFrom('=', '<>', '<', '<=', '>', '>='), OPERAND).map(([l, o, r]) => `${l} ${o} ${r}`);
const COND: fc.Arbitrary<string> = fc.oneof(
  CMP,
  fc.tuple(CMP, fc.constantFrom('AND', 'OR'), CMP).map(([l, o, r]) => `${l} ${o} ${r}`),
  fc.tuple(CMP, CMP, CMP).map(([x, y, z]) => `(${x} OR ${y}) AND ${z}`),
  fc.tuple(FIELD, fc.array(LIT, { minLength: 1, maxLength: 3 })).map(([f, l]) => `${f} IN (${l.join(', ')})`),
);
const COLUMN = fc.oneof(
  FIELD,
  fc.tuple(FIELD, fc.constantFrom('x1', 'x2', 'x3')).map(([f, a]) => `${f} AS ${a}`),
  fc.constantFrom('upper(s) AS u', 'concat(s, a) AS c', 'abs(a) AS m', 'a * 2 + b AS e', 'CASE a WHEN 1 THEN \'one\' ELSE \'other\' END AS k', 'topic(2) AS t2', 'a / b AS q'),
);
const STATEMENT = fc.tuple(fc.oneof(fc.constant(['*']), fc.uniqueArray(COLUMN, { minLength: 1, maxLength: 4 })), fc.option(COND, { nil: undefined }));
const MESSAGE = fc.record(
  { a: fc.integer({ min: -2, max: 10 }), b: fc.integer({ min: 0, max: 3 }), s: fc.constantFrom('red', 'blue', '5', 'Mixed'), n: fc.oneof(fc.record({ x: fc.integer({ min: 0, max: 9 }) }), fc.constant(null)) },
  { requiredKeys: [] },
);

describe('SQL dialect: generated statements', () => {
  reqProperty(['RULE-013', 'RULE-015', 'RULE-016', 'RULE-017', 'RULE-018'], 'the hub republishes what the reference evaluator computes', [STATEMENT, fc.array(MESSAGE, { minLength: 1, maxLength: 3 })], async (h, [cols, where], messages) => {
    const topic = `${product.productId}/src/event`;
    const sql = `SELECT ${cols.join(', ')} FROM '${topic}'${where ? ` WHERE ${where}` : ''}`;
    const parsed = parseRule(sql);
    if ('error' in parsed) throw new Error(`generator made a statement outside the dialect: ${sql} (${parsed.error})`);
    const rules = new Rules(h.api());
    try {
      const { src, obs } = await pair(h);
      await rules.create(ruleName('prop'), sql, [{ republish: { topic: outTopic() } }]);
      const from = obs.received(outTopic()).length;
      const expected: JsonValue[] = [];
      for (const m of messages) {
        const payload = Buffer.from(JSON.stringify(m));
        const r = runRule(parsed, { topic, payload, productId: product.productId, deviceName: 'src', nowMs: Date.now(), requestId: '' });
        if (r?.kind === 'json') expected.push(r.value);
        await src.publish(topic, payload, 1);
      }
      const got = (await outputsUntilBarrier(obs, from)).map((b) => JSON.parse(b.toString('utf8')) as JsonValue);
      expect(got.length, `${sql}: outputs ${JSON.stringify(got)} vs expected ${JSON.stringify(expected)}`).toBe(expected.length);
      expected.forEach((e, i) => expect(mismatch(e, got[i]), `${sql} on ${JSON.stringify(messages)}`).toBeNull());
    } finally {
      await rules.cleanup();
    }
  }, { numRuns: 25, timeout: 120_000 });
});

describe('management', () => {
  req(['RULE-001', 'RULE-007'], 'a rule is created once, deleted, and the name is free again; unknown names are TopicRuleNotExist', async (h) => {
    const rules = new Rules(h.api());
    try {
      const name = ruleName();
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      await rules.create(name, sql, [{ republish: { topic: outTopic() } }]);
      expect(await code(rules.create(name, sql, [{ republish: { topic: outTopic() } }]))).toBe('InvalidParameterValue.TopicRuleAlreadyExist');
      await rules.remove(name);
      expect(await code(h.api().call('DeleteTopicRule', { RuleName: name }))).toBe('ResourceNotFound.TopicRuleNotExist');
      await rules.create(name, sql, [{ republish: { topic: outTopic() } }], { disabled: true });
      for (const action of ['EnableTopicRule', 'DisableTopicRule', 'DeleteTopicRule']) {
        expect(await code(h.api().call(action, { RuleName: ruleName('none') })), action).toBe('ResourceNotFound.TopicRuleNotExist');
      }
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-007'], 'a deleted rule processes no more messages', async (h) => {
    const rules = new Rules(h.api());
    try {
      const { src, obs } = await pair(h);
      const name = ruleName();
      await rules.create(name, `SELECT a FROM '${product.productId}/src/event'`, [{ republish: { topic: outTopic() } }]);
      let from = obs.received(outTopic()).length;
      await src.publish(`${product.productId}/src/event`, '{"a":1}', 1);
      expect((await outputsUntilBarrier(obs, from)).map(String)).toEqual(['{"a":1}']);
      await rules.remove(name);
      from = obs.received(outTopic()).length;
      await src.publish(`${product.productId}/src/event`, '{"a":2}', 1);
      expect((await outputsUntilBarrier(obs, from)).map(String)).toEqual([]);
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-002'], 'rule names outside [A-Za-z0-9_]{1,32} are refused; 32 characters are accepted', async (h) => {
    const rules = new Rules(h.api());
    try {
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      for (const bad of ['', 'a'.repeat(33), 'has-dash', 'has space', 'dot.name', 'ünï']) {
        expect(await code(rules.create(bad, sql, [], { disabled: true })), JSON.stringify(bad)).toMatch(/^(InvalidParameterValue|MissingParameter)/);
      }
      const ok = `r_${randomBytes(15).toString('hex')}`.slice(0, 32);
      await rules.create(ok, sql, [], { disabled: true });
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-001', 'RULE-006', 'API-008'], 'a TopicRulePayload without Sql, or no TopicRulePayload, is a missing parameter', async (h) => {
    const rules = new Rules(h.api());
    try {
      // MissingParameter or InvalidParameter (and its sub-codes), not InvalidParameterValue: nothing was given to be invalid.
      const MISSING = /^(MissingParameter|InvalidParameter)(\.|$)/;
      const actions = JSON.stringify([{ republish: { topic: outTopic() } }]);
      const name = ruleName();
      expect(await code(h.api().call('CreateTopicRule', { RuleName: name, TopicRulePayload: { Actions: actions } })), 'CreateTopicRule without Sql').toMatch(MISSING);
      expect(await code(h.api().call('CreateTopicRule', { RuleName: name })), 'CreateTopicRule without TopicRulePayload').toMatch(MISSING);
      await rules.create(name, `SELECT * FROM '${product.productId}/src/event'`, [], { disabled: true });
      expect(await code(h.api().call('ReplaceTopicRule', { RuleName: name, TopicRulePayload: { Actions: actions } })), 'ReplaceTopicRule without Sql').toMatch(MISSING);
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-005'], 'a rule without actions cannot be created enabled nor enabled later', async (h) => {
    const rules = new Rules(h.api());
    try {
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      expect(await code(rules.create(ruleName(), sql, []))).toBe('InvalidParameterValue.ActionNil');
      const name = ruleName();
      await rules.create(name, sql, [], { disabled: true });
      expect(await code(h.api().call('EnableTopicRule', { RuleName: name }))).toBe('InvalidParameterValue.ActionNil');
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-006'], 'ReplaceTopicRule switches SQL and actions; on an unknown rule it is TopicRuleNotExist', async (h) => {
    const rules = new Rules(h.api());
    try {
      const { src, obs } = await pair(h);
      const name = ruleName();
      const topic = `${product.productId}/src/event`;
      await rules.create(name, `SELECT a FROM '${topic}'`, [{ republish: { topic: outTopic() } }]);
      await h.api().call('ReplaceTopicRule', { RuleName: name, TopicRulePayload: { Sql: b64(`SELECT s AS v FROM '${topic}' WHERE a > 5`), Actions: JSON.stringify([{ republish: { topic: outTopic() } }]) } });
      const from = obs.received(outTopic()).length;
      await src.publish(topic, '{"a":1,"s":"low"}', 1);
      await src.publish(topic, '{"a":9,"s":"high"}', 1);
      expect((await outputsUntilBarrier(obs, from)).map(String)).toEqual(['{"v":"high"}']);
      expect(await code(h.api().call('ReplaceTopicRule', { RuleName: ruleName('none'), TopicRulePayload: { Sql: b64(`SELECT a FROM '${topic}'`), Actions: '[]' } }))).toBe('ResourceNotFound.TopicRuleNotExist');
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-008'], '10 actions are accepted, 11 refused', async (h) => {
    const rules = new Rules(h.api());
    try {
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      const action = { republish: { topic: outTopic() } };
      await rules.create(ruleName(), sql, Array(10).fill(action));
      expect(await code(rules.create(ruleName(), sql, Array(11).fill(action)))).toMatch(/^InvalidParameterValue/);
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-009'], 'rules beyond the account limit are refused with RuleNumberBeyondLimit', async (h) => {
    const rules = new Rules(h.api());
    try {
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      let refused: string | undefined;
      for (let i = 0; i < 1001 && !refused; i++) refused = await code(rules.create(ruleName('lim'), sql, [], { disabled: true }));
      expect(refused, 'the 1001st rule of the account').toBe('InvalidParameterValue.RuleNumberBeyondLimit');
    } finally {
      await rules.cleanup();
    }
  }, { timeout: 120_000 });

  req(['RULE-025'], 'malformed republish topics are RepublishTopicFormatError', async (h) => {
    const rules = new Rules(h.api());
    try {
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      // … and an empty level where the device name or a later level goes: no device's topic has one
      for (const topic of ['', `${product.productId}/+/data`, `${product.productId}/obs/#`, 'onlyone', `${product.productId}/obs`, 'NOSUCHPROD/obs/data', `${product.productId}//data`, `${product.productId}/obs/data/`]) {
        expect(await code(rules.create(ruleName(), sql, [{ republish: { topic } }])), JSON.stringify(topic)).toBe('InvalidParameterValue.RepublishTopicFormatError');
      }
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-026'], 'a rule republishing onto its own FROM topic is refused', async (h) => {
    const rules = new Rules(h.api());
    try {
      expect(await code(rules.create(ruleName(), `SELECT * FROM '${product.productId}/+/data'`, [{ republish: { topic: outTopic() } }]))).toBe('InvalidParameterValue.FailActionHasSameDevice');
    } finally {
      await rules.cleanup();
    }
  });

  req(['RULE-031'], 'cloud-product and unknown actions are refused with InvalidParameterValue', async (h) => {
    const rules = new Rules(h.api());
    try {
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      const cloud = [
        { ckafka: { instance: { id: 'ckafka-test', name: '' }, topic: { id: 'topic-test', name: 'test' }, region: 'gz' } },
        { cmqqueue: { queuename: 'queue-test-TEST', region: 'gz' } },
        { mysql: { instanceid: 'cdb-test', region: 'gz', username: 'test', userpwd: '*****', dbname: 'd_mqtt', tablename: 't_test', fieldpairs: [{ field: 'test', value: 'test' }], devicetype: 'CUSTOM' } },
      ];
      for (const a of [...cloud, { nosuch: {} }, 'republish']) {
        expect(await code(rules.create(ruleName(), sql, [a])), JSON.stringify(a)).toMatch(/^InvalidParameterValue/);
      }
    } finally {
      await rules.cleanup();
    }
  });
});

describe('actions end to end', () => {
  req(['RULE-023', 'RULE-024', 'RULE-027', 'RULE-028'], 'a device message is republished to another device and forwarded with the envelope and token', async (h) => {
    const sink = await ForwardSink.start(h.trace);
    const rules = new Rules(h.api());
    try {
      const src = await h.device(product.device('src'));
      const dst = await h.device(product.device('dst'));
      await dst.subscribe(`${product.productId}/dst/data`, 1);
      const token = `tok_${randomBytes(4).toString('hex')}`;
      const topic = `${product.productId}/src/event`;
      await rules.create(ruleName(), `SELECT t, house, target FROM '${topic}' WHERE t > 40`, [
        { republish: { topic: `${product.productId}/\${target}/data` } },
        { forward: { api: sink.url, token } },
      ]);
      const before = Date.now();
      await src.publish(topic, JSON.stringify({ t: 41, house: 'tencent', target: 'dst', extra: 1 }), 1);
      const got = await dst.waitFor((m) => m.topic === `${product.productId}/dst/data`, ROUND_TRIP_LIMIT_MS);
      expect(got?.payload.toString(), 'republished to the device named by ${target}').toBe('{"t":41,"house":"tencent","target":"dst"}');
      const post = await sink.waitFor((r) => r.method === 'POST', ROUND_TRIP_LIMIT_MS);
      expect(post, 'a forwarded POST').toBeDefined();
      const env = post!.json as Record<string, unknown>;
      expect(env).toMatchObject({ payload: { t: 41, house: 'tencent', target: 'dst' }, topic, devicename: 'src', productid: product.productId });
      expect(Object.keys(env).sort()).toEqual(['devicename', 'payload', 'productid', 'seq', 'timemills', 'timestamp', 'topic']);
      expect(env.timemills).toEqual(expect.any(Number));
      expect(Math.abs((env.timemills as number) - before)).toBeLessThan(60_000);
      expect(env.timestamp).toBe(Math.floor((env.timemills as number) / 1000));
      expect(Number.isInteger(env.seq)).toBe(true);
      const hdr = post!.headers;
      for (const k of ['signature', 'timestamp', 'nonce']) expect(hdr[k], `header ${k}`).toEqual(expect.any(String));
      expect(hdr.signature, 'Signature = sha1(sorted token, Timestamp, Nonce)').toBe(forwardSignature(token, String(hdr.timestamp), String(hdr.nonce)));
      expect(String(hdr['content-type'])).toMatch(/application\/json/);
    } finally {
      await rules.cleanup();
      await sink.close();
    }
  });

  req(['RULE-003', 'RULE-004'], 'a disabled rule neither republishes nor forwards; enabling resumes it; double enable/disable are refused', async (h) => {
    const sink = await ForwardSink.start(h.trace);
    const rules = new Rules(h.api());
    try {
      const { src, obs } = await pair(h);
      const topic = `${product.productId}/src/event`;
      const name = ruleName('off');
      const control = ruleName('ctl');
      await rules.create(name, `SELECT seq FROM '${topic}'`, [{ republish: { topic: outTopic() } }, { forward: { api: `${sink.url}off` } }], { disabled: true });
      await rules.create(control, `SELECT seq FROM '${topic}'`, [{ forward: { api: `${sink.url}ctl` } }]);
      let from = obs.received(outTopic()).length;
      await src.publish(topic, '{"seq":1}', 1);
      await src.publish(topic, '{"seq":2}', 1);
      expect((await outputsUntilBarrier(obs, from)).map(String), 'no republish while disabled').toEqual([]);
      // The control rule's forward of the later message has arrived, so the disabled rule's would have been sent by now.
      expect(await sink.waitFor((r) => r.method === 'POST' && (r.json as { payload?: { seq?: number } })?.payload?.seq === 2, ROUND_TRIP_LIMIT_MS)).toBeDefined();
      expect(sink.posts().filter((r) => r.url === '/off').map((r) => r.body), 'no forward while disabled').toEqual([]);
      expect(await code(h.api().call('DisableTopicRule', { RuleName: name }))).toBe('FailedOperation.RuleAlreadyDisabled');
      await h.api().call('EnableTopicRule', { RuleName: name });
      expect(await code(h.api().call('EnableTopicRule', { RuleName: name }))).toBe('FailedOperation.RuleAlreadyEnabled');
      from = obs.received(outTopic()).length;
      await src.publish(topic, '{"seq":3}', 1);
      expect((await outputsUntilBarrier(obs, from)).map(String), 'enabled again').toEqual(['{"seq":3}']);
      await h.api().call('DisableTopicRule', { RuleName: name });
      from = obs.received(outTopic()).length;
      await src.publish(topic, '{"seq":4}', 1);
      expect((await outputsUntilBarrier(obs, from)).map(String), 'disabled again').toEqual([]);
    } finally {
      await rules.cleanup();
      await sink.close();
    }
  });

  req(['RULE-029'], 'forward endpoints are verified with Echostr; a wrong answer is CheckForwardURLFail', async (h) => {
    const sink = await ForwardSink.start(h.trace);
    const rules = new Rules(h.api());
    try {
      const sql = `SELECT * FROM '${product.productId}/src/event'`;
      const token = 'verify_token';
      await rules.create(ruleName(), sql, [{ forward: { api: sink.url, token } }]);
      const get = sink.requests.find((r) => r.method === 'GET');
      expect(get, 'a verification GET').toBeDefined();
      expect(get!.headers.echostr).toEqual(expect.any(String));
      expect(get!.headers.signature).toBe(forwardSignature(token, String(get!.headers.timestamp), String(get!.headers.nonce)));
      sink.verify = 'wrong';
      expect(await code(rules.create(ruleName(), sql, [{ forward: { api: sink.url, token } }]))).toBe('InvalidParameterValue.CheckForwardURLFail');
      const closed = await ForwardSink.start();
      const deadUrl = closed.url;
      await closed.close();
      expect(await code(rules.create(ruleName(), sql, [{ forward: { api: deadUrl } }]))).toBe('InvalidParameterValue.CheckForwardURLFail');
    } finally {
      await rules.cleanup();
      await sink.close();
    }
  });

  req(['RULE-030'], 'a forward answered with an error is sent again', async (h) => {
    const sink = await ForwardSink.start(h.trace);
    const rules = new Rules(h.api());
    try {
      const src = await h.device(product.device('src'));
      const topic = `${product.productId}/src/event`;
      await rules.create(ruleName(), `SELECT k FROM '${topic}'`, [{ forward: { api: sink.url } }]);
      sink.failPosts = 1;
      await src.publish(topic, '{"k":"retry-me"}', 1);
      expect(await sink.waitFor(() => sink.posts().length >= 2, 10_000), 'a second attempt after HTTP 500').toBeDefined();
      const [first, second] = sink.posts();
      expect(second!.json).toEqual(first!.json);
    } finally {
      await rules.cleanup();
      await sink.close();
    }
  }, { timeout: 20_000 });

  req(['RULE-019'], 'a binary message reaches a forward as Base64', async (h) => {
    const sink = await ForwardSink.start(h.trace);
    const rules = new Rules(h.api());
    try {
      const src = await h.device(product.device('src'));
      const topic = `${product.productId}/src/event`;
      await rules.create(ruleName(), `SELECT * FROM '${topic}'`, [{ forward: { api: sink.url } }]);
      const bytes = Buffer.from([0x00, 0xff, 0x10, 0x80]);
      await src.publish(topic, bytes, 1);
      const post = await sink.waitFor((r) => r.method === 'POST', ROUND_TRIP_LIMIT_MS);
      expect((post?.json as { payload?: unknown })?.payload).toBe(bytes.toString('base64'));
    } finally {
      await rules.cleanup();
      await sink.close();
    }
  });
});

describe('device state events', () => {
  req(['RULE-033', 'RULE-034'], 'online and offline events with their reasons reach a forward', async (h) => {
    const sink = await ForwardSink.start(h.trace);
    const rules = new Rules(h.api());
    const api = h.api();
    const dst = product.device('dst');
    try {
      await rules.create(ruleName('state'), `SELECT * FROM '$state/report/${product.productId}/dst'`, [{ forward: { api: sink.url } }]);
      type Ev = { deviceName: string; event: string; productID: string; reason: string; timestamp: number; topic: string };
      const events = () => sink.posts().map((r) => (r.json as { payload: Ev; topic: string }));
      const waitEvent = async (n: number, what: string): Promise<Ev> => {
        const ok = await sink.waitFor(() => events().length >= n, 5000);
        expect(ok, `event ${n}: ${what}`).toBeDefined();
        return events()[n - 1]!.payload;
      };
      const stateTopic = `$state/report/${product.productId}/dst`;
      const d1 = await h.device(dst);
      const online = await waitEvent(1, 'EV_ONLINE');
      expect(online).toEqual({ deviceName: 'dst', event: 'EV_ONLINE', productID: product.productId, reason: 'REASON_DEVICE_CONNECT', timestamp: expect.any(Number), topic: stateTopic });
      expect(events()[0]!.topic).toBe(stateTopic);
      await d1.end();
      expect(await waitEvent(2, 'EV_OFFLINE after DISCONNECT')).toMatchObject({ event: 'EV_OFFLINE', reason: 'REASON_DEVICE_DISCONNECT' });
      await h.device(dst, { label: 'dst-1' });
      await waitEvent(3, 'EV_ONLINE');
      await h.device(dst, { label: 'dst-2' }); // takes over the first session
      const kicked = await waitEvent(4, 'EV_OFFLINE of the older login');
      expect(kicked).toMatchObject({ event: 'EV_OFFLINE', reason: 'REASON_DEVICE_KICKED' });
      await waitEvent(5, 'EV_ONLINE of the newer login');
      await api.call('UpdateDeviceAvailableState', { ProductId: product.productId, DeviceName: 'dst', EnableState: 0 });
      expect(await waitEvent(6, 'EV_OFFLINE of a disabled device')).toMatchObject({ event: 'EV_OFFLINE', reason: 'REASON_STATE_KICKED' });
      await api.call('UpdateDeviceAvailableState', { ProductId: product.productId, DeviceName: 'dst', EnableState: 1 });
      await h.device(dst, { label: 'dst-ka', keepalive: 1 }); // the client sends no PINGREQ: the hub drops it after 1.5 s
      await waitEvent(7, 'EV_ONLINE');
      expect(await waitEvent(8, 'EV_OFFLINE after KeepAlive silence')).toMatchObject({ event: 'EV_OFFLINE', reason: 'REASON_KEEPALIVE_TIMEOUT' });
    } finally {
      await api.call('UpdateDeviceAvailableState', { ProductId: product.productId, DeviceName: 'dst', EnableState: 1 }).catch(() => {});
      await rules.cleanup();
      await sink.close();
    }
  }, { timeout: 30_000 });
});

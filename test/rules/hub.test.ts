// The hub's rules service without the suites: clear errors on bad input, persistence across a restart, Describe extensions, topic templates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { republishTopic } from '../../hub/services/rules/engine.js';
import { ApiError, CloudApi } from '../../src/client/cloud-api.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const apiOf = (hub: RunningHub) => new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('the call succeeded');
}

describe('rules API on bad input', () => {
  let hub: RunningHub;
  let api: CloudApi;
  let pid = '';
  beforeAll(async () => {
    hub = await startHub({});
    api = apiOf(hub);
    pid = (await api.call<{ ProductId: string }>('CreateProduct', { ProductName: 'rules_unit' })).ProductId;
  });
  afterAll(() => hub.close());

  const payload = (o: Record<string, unknown>) => ({ Sql: b64(`SELECT * FROM '${pid}/d/event'`), Actions: JSON.stringify([{ republish: { topic: `${pid}/o/data` } }]), ...o });

  test('each refusal names the field and what is expected', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ RuleName: 'r1' }, 'MissingParameter', /TopicRulePayload/],
      [{ RuleName: 'r1', TopicRulePayload: 'x' }, 'InvalidParameterValue', /TopicRulePayload must be an object/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ Sql: 5 }) }, 'InvalidParameterValue.InvalidSQL', /TopicRulePayload\.Sql/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ Sql: b64("SELECT a FROM 'x/#/y'") }) }, 'InvalidParameterValue.InvalidSQL', /# is allowed only as the last level/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ Actions: 'not json' }) }, 'InvalidParameterValue', /TopicRulePayload\.Actions must be a JSON array/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ Actions: '{}' }) }, 'InvalidParameterValue', /TopicRulePayload\.Actions/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ Actions: '[{"forward":{"api":"ftp://x"}}]' }) }, 'InvalidParameterValue', /forward\.api must be an http/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ Description: 'x'.repeat(257) }) }, 'InvalidParameterValue', /Description/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ RuleDisabled: 'yes' }) }, 'InvalidParameterValue', /RuleDisabled/],
      [{ RuleName: 'r1', TopicRulePayload: payload({ Extra: 1 }) }, 'UnknownParameter', /no field Extra/],
      [{ RuleName: 'bad-name', TopicRulePayload: payload({}) }, 'InvalidParameterValue', /RuleName must be 1–32 characters/],
    ];
    for (const [params, code, message] of cases) {
      const f = await failure(api.call('CreateTopicRule', params));
      expect(f.code, JSON.stringify(params)).toBe(code);
      expect(f.message, JSON.stringify(params)).toMatch(message);
    }
    // still serving
    await api.call('CreateTopicRule', { RuleName: 'r_ok', TopicRulePayload: payload({}) });
  });

  test('DescribeTopicRule and DescribeTopicRules read rules back (extension)', async () => {
    await api.call('CreateTopicRule', { RuleName: 'r_desc', TopicRulePayload: payload({ Description: 'hello', RuleDisabled: true }) });
    const one = await api.call<{ Rule: Record<string, unknown> }>('DescribeTopicRule', { RuleName: 'r_desc' });
    expect(one.Rule).toMatchObject({ RuleName: 'r_desc', Description: 'hello', RuleDisabled: true, Sql: b64(`SELECT * FROM '${pid}/d/event'`) });
    const all = await api.call<{ TotalCount: number; Rules: { RuleName: string }[] }>('DescribeTopicRules', { Offset: 0, Limit: 100 });
    expect(all.Rules.map((r) => r.RuleName)).toContain('r_desc');
    expect((await failure(api.call('DescribeTopicRule', { RuleName: 'nope' }))).code).toBe('ResourceNotFound.TopicRuleNotExist');
  });
});

test('rules survive a restart of a file-backed hub', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubcheck-rules-'));
  const dataFile = join(dir, 'hub.db');
  try {
    let hub = await startHub({ dataFile });
    let api = apiOf(hub);
    const pid = (await api.call<{ ProductId: string }>('CreateProduct', { ProductName: 'rules_persist' })).ProductId;
    await api.call('CreateTopicRule', { RuleName: 'kept', TopicRulePayload: { Sql: b64(`SELECT a FROM '${pid}/+/event'`), Actions: '[]', RuleDisabled: true } });
    await hub.close();
    hub = await startHub({ dataFile });
    api = apiOf(hub);
    const r = await api.call<{ Rule: { RuleName: string; RuleDisabled: boolean } }>('DescribeTopicRule', { RuleName: 'kept' });
    expect(r.Rule).toMatchObject({ RuleName: 'kept', RuleDisabled: true });
    await hub.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('republish topic templates', () => {
  const out = { kind: 'json' as const, value: { dev: 'd2', n: 3, o: { x: 1 } } };
  expect(republishTopic('P/${dev}/data', out, 'P/d1/event')).toBe('P/d2/data');
  expect(republishTopic('P/${topic(2)}/n${n}', out, 'P/d1/event')).toBe('P/d1/n3');
  expect(republishTopic('P/topic(2)/data', out, 'P/d1/event')).toBe('P/d1/data');
  expect(republishTopic('P/${o}/data', out, 'P/d1/event')).toBeNull();
  expect(republishTopic('P/${missing}/data', out, 'P/d1/event')).toBeNull();
});

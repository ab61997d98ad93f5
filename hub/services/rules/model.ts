// A rule as the hub keeps it, and the checks of TopicRulePayload (protocol.md §10.3): Sql, Actions, Description, RuleDisabled.

import { ApiError, invalid, missing } from '../../api/errors.js';
import type { Params } from '../../api/params.js';
import type { Registry } from '../../registry/index.js';
import { compileSql, RuleSqlError, type CompiledSql } from './sql.js';
import { filterMatches } from './topic.js';

/** Rules per account (protocol.md §11, S-LIMITS: 1000; the older page says 100). */
export const MAX_RULES_PER_ACCOUNT = 1000;
/** Actions per rule (protocol.md §10.1, §11 "流转目标数量 10"). */
export const MAX_ACTIONS_PER_RULE = 10;
/** Rule names: 1–32 letters, digits, underscore (S-RULE-OV; the API documents no pattern). */
export const RULE_NAME = { pattern: /^[A-Za-z0-9_]{1,32}$/, expected: '1–32 characters of [A-Za-z0-9_]' };
/** Description: 0–256 characters (S-RULE-OV). */
export const MAX_DESCRIPTION_CHARS = 256;

export type RuleAction = { kind: 'republish'; topic: string } | { kind: 'forward'; api: string; token?: string };

export interface Rule {
  name: string;
  /** As given: Base64 of the SQL text. */
  sqlBase64: string;
  sql: CompiledSql;
  actionsText: string;
  actions: RuleAction[];
  description: string;
  disabled: boolean;
  createdAt: number;
}

/** A rule as older hubs kept it, in a JSON list under the registry meta key 'rules' (store.ts moves it into its table). */
export interface StoredRule {
  name: string;
  sql: string;
  actions: string;
  description: string;
  disabled: boolean;
  createdAt: number;
}

const CLOUD_ONLY = ['ckafka', 'cmqqueue', 'mysql', 'tdmq', 'mongodb', 'ctsdb', 'cloudbase', 'rocketmq'];

export const invalidSql = (why: string) => new ApiError('InvalidParameterValue.InvalidSQL', `TopicRulePayload.Sql: ${why}`);

/** Decodes and compiles TopicRulePayload.Sql (Base64 of the statement). */
export function decodeSql(base64: string): CompiledSql {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0 || base64.length === 0) {
    throw invalidSql('must be the Base64 encoding of the SQL statement, e.g. U0VMRUNUICogRlJPTSAncGlkL2RuYW1lL2V2ZW50Jw==');
  }
  const text = Buffer.from(base64, 'base64').toString('utf8');
  if (text.includes('\uFFFD')) throw invalidSql('the decoded statement is not UTF-8 text');
  try {
    return compileSql(text);
  } catch (err) {
    if (err instanceof RuleSqlError) throw invalidSql(`${err.message} (statement: ${JSON.stringify(text.slice(0, 120))})`);
    throw err;
  }
}

/** A republish topic: at least ${productId}/${deviceName}/x, no wildcards, no empty level; ${var} and topic(n) allowed. */
function checkRepublishTopic(topic: unknown, i: number, registry: Registry): string {
  const fail = (why: string) =>
    new ApiError('InvalidParameterValue.RepublishTopicFormatError', `Actions[${i}].republish.topic ${JSON.stringify(topic)}: ${why}; expected e.g. "${'$'}{productId}/device2/data" with the product ID written out`);
  if (typeof topic !== 'string' || topic === '') throw fail('must be a non-empty string');
  if (/[+#\s\u0000]/.test(topic)) throw fail('must not contain +, # or white space');
  const levels = topic.split('/');
  if (levels.length < 3 || levels.some((l) => l === '')) throw fail('needs at least three non-empty levels');
  const first = levels[0]!;
  if (!/^\$\{[^}]+\}$/.test(first) && !registry.getProduct(first)) throw fail(`the first level ${first} is not an existing product ID`);
  return topic;
}

export function parseActions(text: string, sql: CompiledSql, registry: Registry): RuleAction[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('TopicRulePayload.Actions', 'a JSON array serialized as a string, e.g. "[{\\"republish\\":{\\"topic\\":\\"pid/dev/data\\"}}]"', text);
  }
  if (!Array.isArray(parsed)) throw invalid('TopicRulePayload.Actions', 'a JSON array serialized as a string', text);
  if (parsed.length > MAX_ACTIONS_PER_RULE) {
    throw new ApiError('InvalidParameterValue', `TopicRulePayload.Actions has ${parsed.length} actions; at most ${MAX_ACTIONS_PER_RULE} are allowed`); // RULE-008
  }
  return parsed.map((a: unknown, i): RuleAction => {
    if (a === null || typeof a !== 'object' || Array.isArray(a) || Object.keys(a).length !== 1) {
      throw invalid(`TopicRulePayload.Actions[${i}]`, 'an object with one key: republish or forward', a);
    }
    const [kind, body] = Object.entries(a)[0]!;
    const b = (body ?? {}) as Record<string, unknown>;
    if (kind === 'republish') {
      const topic = checkRepublishTopic(b.topic, i, registry);
      if (!topic.includes('${') && !/(^|\/)topic\(\d+\)(\/|$)/.test(topic) && filterMatches(sql.filter, topic.split('/'))) {
        // RULE-026: the rule would feed itself.
        throw new ApiError('InvalidParameterValue.FailActionHasSameDevice', `Actions[${i}].republish.topic ${topic} is matched by the rule's own FROM filter; republish to another topic`);
      }
      return { kind, topic };
    }
    if (kind === 'forward') {
      let url: URL | undefined;
      try {
        url = typeof b.api === 'string' ? new URL(b.api) : undefined;
      } catch {
        url = undefined;
      }
      // Any address is accepted (the tests use 127.0.0.1); only the scheme is checked.
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw invalid(`TopicRulePayload.Actions[${i}].forward.api`, 'an http:// or https:// URL', b.api);
      if (b.token !== undefined && typeof b.token !== 'string') throw invalid(`TopicRulePayload.Actions[${i}].forward.token`, 'a string', b.token);
      return { kind, api: b.api as string, ...(typeof b.token === 'string' ? { token: b.token } : {}) };
    }
    if (CLOUD_ONLY.includes(kind)) throw invalid(`TopicRulePayload.Actions[${i}]`, `republish or forward (${kind} needs a Tencent Cloud service the reference hub cannot reach)`, kind); // RULE-031
    throw invalid(`TopicRulePayload.Actions[${i}]`, 'an object with one key: republish or forward', kind);
  });
}

export interface PayloadFields {
  sqlBase64: string;
  sql: CompiledSql;
  actionsText: string;
  actions: RuleAction[];
  description: string | undefined;
  disabled: boolean | undefined;
}

export function readPayload(p: Params, registry: Registry): PayloadFields {
  const v = p.TopicRulePayload;
  if (v === undefined || v === null) throw missing('TopicRulePayload');
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid('TopicRulePayload', 'an object {Sql, Actions, Description, RuleDisabled}', v);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['Sql', 'Actions', 'Description', 'RuleDisabled'].includes(k)) throw new ApiError('UnknownParameter', `TopicRulePayload has no field ${k}; it takes Sql, Actions, Description, RuleDisabled`);
  }
  if (o.Sql === undefined || o.Sql === null) throw missing('TopicRulePayload.Sql');
  if (typeof o.Sql !== 'string') throw invalidSql('must be a string');
  const sql = decodeSql(o.Sql);
  if (o.Actions !== undefined && o.Actions !== null && typeof o.Actions !== 'string') throw invalid('TopicRulePayload.Actions', 'a JSON array serialized as a string', o.Actions);
  const actionsText = (o.Actions as string | undefined) ?? '[]';
  const actions = parseActions(actionsText, sql, registry);
  if (o.Description !== undefined && o.Description !== null && (typeof o.Description !== 'string' || o.Description.length > MAX_DESCRIPTION_CHARS)) {
    throw invalid('TopicRulePayload.Description', `a string of at most ${MAX_DESCRIPTION_CHARS} characters`, o.Description);
  }
  if (o.RuleDisabled !== undefined && o.RuleDisabled !== null && typeof o.RuleDisabled !== 'boolean') throw invalid('TopicRulePayload.RuleDisabled', 'true or false', o.RuleDisabled);
  return {
    sqlBase64: o.Sql,
    sql,
    actionsText,
    actions,
    description: (o.Description as string | undefined) ?? undefined,
    disabled: (o.RuleDisabled as boolean | undefined) ?? undefined,
  };
}

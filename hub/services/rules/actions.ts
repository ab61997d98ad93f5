// Cloud API actions for rules (protocol.md §9.7, Appendix A; §10.3): Create/Replace/Enable/Disable/DeleteTopicRule, and DescribeTopicRule(s) as an extension.

import type { Action, ActionContext } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { optInt, reqString, type Params } from '../../api/params.js';
import type { RulesEngine } from './engine.js';
import { verifyEndpoint } from './forward.js';
import { MAX_RULES_PER_ACCOUNT, readPayload, RULE_NAME, type Rule, type RuleAction } from './model.js';

const notExist = (name: string) => new ApiError('ResourceNotFound.TopicRuleNotExist', `rule ${name} does not exist`);
const alreadyExists = (name: string) => new ApiError('InvalidParameterValue.TopicRuleAlreadyExist', `rule ${name} already exists; choose another RuleName or use ReplaceTopicRule`);
const beyondLimit = () => new ApiError('InvalidParameterValue.RuleNumberBeyondLimit', `the account already has ${MAX_RULES_PER_ACCOUNT} rules, the limit; delete one first`);
const actionNil = (name: string) =>
  new ApiError('InvalidParameterValue.ActionNil', `rule ${name} has no actions; a rule must have at least one action to be enabled (or create it with RuleDisabled true)`);

/** RULE-029: every forward endpoint must answer the Echostr GET before the rule is saved enabled or enabled. */
async function verifyForwards(actions: readonly RuleAction[], nowMs: number): Promise<void> {
  for (const a of actions) {
    if (a.kind !== 'forward') continue;
    const why = await verifyEndpoint(a.api, a.token, nowMs);
    if (why) throw new ApiError('InvalidParameterValue.CheckForwardURLFail', `forward endpoint check failed: ${why}`);
  }
}

function view(r: Rule): Record<string, unknown> {
  return { RuleName: r.name, Sql: r.sqlBase64, Actions: r.actionsText, Description: r.description, RuleDisabled: r.disabled, CreatedAt: r.createdAt };
}

/** The actions, each finding the engine of the hub it is called on. */
export function ruleActions(engineOf: (ctx: ActionContext) => RulesEngine): Record<string, Action> {
  const need = (engine: RulesEngine, p: Params): Rule => {
    const name = reqString(p, 'RuleName', RULE_NAME);
    const rule = engine.store.all().get(name);
    if (!rule) throw notExist(name);
    return rule;
  };
  return {
    CreateTopicRule: {
      params: ['RuleName', 'TopicRulePayload'],
      async run(ctx, p) {
        const engine = engineOf(ctx);
        const name = reqString(p, 'RuleName', RULE_NAME); // RULE-002
        const rules = engine.store.all();
        if (rules.has(name)) throw alreadyExists(name); // RULE-001
        if (rules.size >= MAX_RULES_PER_ACCOUNT) throw beyondLimit(); // RULE-009
        const f = readPayload(p, ctx.registry);
        const disabled = f.disabled ?? false;
        if (!disabled && f.actions.length === 0) throw actionNil(name); // RULE-005
        await verifyForwards(f.actions, ctx.hub.clock.now());
        // checked again where it is written: the name may have been taken (or the limit reached) while verifying, here or on another worker
        const outcome = engine.store.create({ name, sqlBase64: f.sqlBase64, sql: f.sql, actionsText: f.actionsText, actions: f.actions, description: f.description ?? '', disabled, createdAt: ctx.nowSeconds() }, MAX_RULES_PER_ACCOUNT);
        if (outcome === 'exists') throw alreadyExists(name);
        if (outcome === 'full') throw beyondLimit();
        return {};
      },
    },
    ReplaceTopicRule: {
      params: ['RuleName', 'TopicRulePayload', 'ModifyType', 'ActionIndex'],
      async run(ctx, p) {
        const engine = engineOf(ctx);
        const rule = need(engine, p); // RULE-006
        optInt(p, 'ModifyType', { oneOf: [0, 1, 2, 3] }); // informational: the whole payload is replaced
        optInt(p, 'ActionIndex', { min: 0 });
        const f = readPayload(p, ctx.registry);
        const disabled = f.disabled ?? rule.disabled;
        if (!disabled && f.actions.length === 0) throw actionNil(rule.name);
        await verifyForwards(f.actions, ctx.hub.clock.now());
        if (!engine.store.replace({ ...rule, sqlBase64: f.sqlBase64, sql: f.sql, actionsText: f.actionsText, actions: f.actions, description: f.description ?? rule.description, disabled })) throw notExist(rule.name); // deleted meanwhile
        return {};
      },
    },
    EnableTopicRule: {
      params: ['RuleName'],
      async run(ctx, p) {
        const engine = engineOf(ctx);
        const rule = need(engine, p);
        if (!rule.disabled) throw new ApiError('FailedOperation.RuleAlreadyEnabled', `rule ${rule.name} is already enabled`); // RULE-004
        if (rule.actions.length === 0) throw actionNil(rule.name); // RULE-005
        await verifyForwards(rule.actions, ctx.hub.clock.now());
        if (!engine.store.replace({ ...rule, disabled: false })) throw notExist(rule.name);
        return {};
      },
    },
    DisableTopicRule: {
      params: ['RuleName'],
      run(ctx, p) {
        const engine = engineOf(ctx);
        const rule = need(engine, p);
        if (rule.disabled) throw new ApiError('FailedOperation.RuleAlreadyDisabled', `rule ${rule.name} is already disabled`); // RULE-004
        if (!engine.store.replace({ ...rule, disabled: true })) throw notExist(rule.name);
        return {};
      },
    },
    DeleteTopicRule: {
      params: ['RuleName'],
      run(ctx, p) {
        const engine = engineOf(ctx);
        const rule = need(engine, p); // RULE-007
        if (!engine.store.delete(rule.name)) throw notExist(rule.name);
        return {};
      },
    },
    // Extensions (not in 2018-06-14; names from the 2021 iotexplorer API): read back rules.
    DescribeTopicRule: {
      params: ['RuleName'],
      run(ctx, p) {
        const engine = engineOf(ctx);
        return { Rule: view(need(engine, p)) };
      },
    },
    DescribeTopicRules: {
      params: ['Offset', 'Limit'],
      run(ctx, p) {
        const engine = engineOf(ctx);
        const offset = optInt(p, 'Offset', { min: 0 }) ?? 0;
        const limit = optInt(p, 'Limit', { min: 1, max: 250 }) ?? 20;
        const all = [...engine.store.all().values()];
        return { TotalCount: all.length, Rules: all.slice(offset, offset + limit).map(view) };
      },
    },
  };
}

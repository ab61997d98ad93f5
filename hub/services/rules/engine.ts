// The running rules: matches each device message (and each $state/report event) against enabled rules and runs their actions.

import { randomUUID } from 'node:crypto';
import type { ServiceContext } from '../types.js';
import { evaluate, type RuleInput, type RuleOutput } from './eval.js';
import { Forwarder } from './forward.js';
import type { Rule } from './model.js';
import type { Json } from './sql.js';
import { RuleStore } from './store.js';
import { filterMatches } from './topic.js';

export class RulesEngine {
  /** The rules, in the registry file (shared by the workers of a cluster). */
  readonly store: RuleStore;
  private readonly forwarder: Forwarder;
  private seq = 0;

  constructor(private readonly ctx: ServiceContext) {
    this.forwarder = new Forwarder(() => ctx.clock.now(), ctx.log, () => ctx.faults.has('rules-forward-without-token'));
    this.store = new RuleStore(ctx.registry, ctx.bus.clustered, ctx.log);
  }

  /**
   * Runs every matching enabled rule on one message, in creation order, synchronously up to the actions' sends;
   * resolves when its republishes are routed (undefined when there are none). Failures are logged, not thrown.
   */
  process(message: { topic: string; payload: Buffer; qos: 0 | 1; productId: string; deviceName: string }): Promise<unknown> | undefined {
    const rules = this.store.all();
    if (rules.size === 0) return undefined;
    let routed: Promise<unknown>[] | undefined;
    const faults = this.ctx.faults;
    const topic = message.topic.split('/');
    let input: RuleInput | undefined;
    for (const rule of rules.values()) {
      if (rule.disabled && !faults.has('rules-disabled-still-fires')) continue; // RULE-003, RULE-004
      if (!filterMatches(rule.sql.filter, topic, faults.has('rules-wrong-topic-match'))) continue; // RULE-010, RULE-011
      input ??= { ...message, nowMs: this.ctx.clock.now(), requestId: randomUUID() };
      let out: RuleOutput | null;
      try {
        out = evaluate(rule.sql, input, { ignoreWhere: faults.has('rules-ignore-where') });
      } catch (err) {
        this.ctx.log(`rules: ${rule.name} failed on ${message.topic}: ${(err as Error).message}`);
        continue;
      }
      if (out) this.act(rule, input, out, message.qos, (routed ??= []));
    }
    return routed && routed.length > 0 ? Promise.all(routed) : undefined;
  }

  private act(rule: Rule, input: RuleInput, out: RuleOutput, qos: 0 | 1, routed: Promise<unknown>[]): void {
    for (const action of rule.actions) {
      if (action.kind === 'republish') {
        const topic = republishTopic(action.topic, out, input.topic);
        if (topic === null) {
          this.ctx.log(`rules: ${rule.name}: republish topic ${action.topic} has a variable the output cannot fill; skipped`);
          continue;
        }
        const payload = out.kind === 'raw' ? out.value : JSON.stringify(out.value);
        routed.push(this.ctx.publish(topic, payload, qos).catch((err: Error) => this.ctx.log(`rules: ${rule.name}: republish to ${topic} failed: ${err.message}`))); // RULE-023
      } else {
        // RULE-027: the §10.5 envelope; binary payloads travel as Base64.
        const envelope = {
          payload: out.kind === 'raw' ? out.value.toString('base64') : out.value,
          timemills: input.nowMs,
          seq: ++this.seq,
          timestamp: Math.floor(input.nowMs / 1000),
          topic: input.topic,
          devicename: input.deviceName,
          productid: input.productId,
        };
        this.forwarder.send(action.api, action.token, envelope);
      }
    }
  }

  close(): void {
    this.forwarder.close();
  }
}

function scalarText(v: Json | undefined): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** RULE-024: ${field} from the output, ${topic(n)} or a level written topic(n) from the source topic; null when one cannot be filled. */
export function republishTopic(template: string, out: RuleOutput, source: string): string | null {
  const levels = source.split('/');
  const fill = (expr: string): string | null => {
    const t = /^topic\((\d+)\)$/.exec(expr);
    if (t) return levels[Number(t[1]) - 1] ?? null;
    return out.kind === 'json' ? scalarText(out.value[expr]) : null;
  };
  let failed = false;
  const result = template
    .split('/')
    .map((level) => {
      const whole = /^topic\((\d+)\)$/.test(level) ? fill(level) : level;
      if (whole === null) return (failed = true), '';
      return whole.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
        const v = fill(name.trim());
        if (v === null || v === '' || /[/+#\u0000]/.test(v)) failed = true;
        return v ?? '';
      });
    })
    .join('/');
  return failed ? null : result;
}

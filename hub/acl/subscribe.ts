// SUBSCRIBE and UNSUBSCRIBE decisions as pure functions: filter syntax, ownership, and the F ∩ C subscriptions (access-rules §4, §5).

import type { Faults } from '../faults.js';
import { MAX_TOPIC_BYTES, topicLength } from '../limits.js';
import { covers, hasWildcard, intersect, levels, matchesPattern } from './topics.js';

export interface SubscribeContext {
  readonly productId: string;
  readonly deviceName: string;
  readonly subscribeClasses: readonly (readonly string[])[];
  readonly faults: Faults;
}

export type SubscribeDecision =
  | { readonly granted: true; readonly subscriptions: readonly string[] }
  | { readonly granted: false; readonly reason: string };

/** Why a filter is malformed, or null when its syntax and placement are acceptable. */
export function filterProblem(ctx: SubscribeContext, filter: string): string | null {
  if (filter.length === 0) return 'empty filter';
  if (!ctx.faults.has('accept-oversize-topic') && topicLength(filter, ctx.faults) > MAX_TOPIC_BYTES) {
    return `filter over ${MAX_TOPIC_BYTES} bytes`; // ACL-TOPIC-LEN
  }
  if (filter.includes('\u0000')) return 'NUL in filter';
  const ls = levels(filter);
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (l.includes('#')) {
      if (l !== '#') return '# is not a whole level';
      if (i !== ls.length - 1 && !ctx.faults.has('allow-hash-mid-filter')) return '# is not the last level';
    }
    if (l.includes('+') && l !== '+') return '+ is not a whole level';
  }
  if (!hasWildcard(filter)) return null;
  if (filter.startsWith('$')) {
    // the only wildcard a system topic may carry is the one its permission has
    return filter === `$rrpc/rxd/${ctx.productId}/${ctx.deviceName}/+` ? null : 'wildcard in a system topic';
  }
  if (ls.length < 3 || hasWildcard(ls[0]!) || hasWildcard(ls[1]!)) return 'wildcard in the productId/deviceName levels';
  if (ls[0] !== ctx.productId || ls[1] !== ctx.deviceName) return "wildcard filter outside the device's own topics";
  return null;
}

/** Decides one SUBSCRIBE filter: refused (SUBACK 0x80) or granted with the subscriptions to store. */
export function decideSubscribe(ctx: SubscribeContext, filter: string): SubscribeDecision {
  const problem = filterProblem(ctx, filter);
  if (problem) return { granted: false, reason: problem };
  const fl = levels(filter);
  if (!hasWildcard(filter)) {
    // a concrete filter is granted iff a subscribe class allows it (a class `+` matches any level)
    return ctx.subscribeClasses.some((c) => matchesPattern(fl, c))
      ? { granted: true, subscriptions: [filter] }
      : { granted: false, reason: 'no subscribe permission' };
  }
  // a valid wildcard filter is granted even when it matches nothing; it subscribes F ∩ C for every class C
  const subs = new Set<string>();
  for (const c of ctx.subscribeClasses) {
    const i = intersect(fl, c);
    if (i) subs.add(i.join('/'));
  }
  return { granted: true, subscriptions: [...subs] };
}

/** True when an existing or restored subscription lies inside one subscribe class (S ∩ C = S). */
export function isWithinClasses(ctx: SubscribeContext, sub: string): boolean {
  if (!ctx.faults.has('accept-oversize-topic') && topicLength(sub, ctx.faults) > MAX_TOPIC_BYTES) return false;
  const sl = levels(sub);
  return ctx.subscribeClasses.some((c) => covers(c, sl));
}

/** The device's current subscriptions one UNSUBSCRIBE filter removes (access-rules §5). */
export function unsubscribeTargets(ctx: SubscribeContext, filter: string, current: readonly string[]): string[] {
  if (!hasWildcard(filter)) return current.includes(filter) ? [filter] : [];
  if (filterProblem(ctx, filter)) return [];
  const fl = levels(filter);
  return current.filter((s) => covers(fl, levels(s)));
}

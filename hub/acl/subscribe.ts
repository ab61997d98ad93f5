// SUBSCRIBE and UNSUBSCRIBE decisions as pure functions: filter syntax, ownership, and the F ∩ C subscriptions (access-rules §4, §5).

import type { Faults } from '../faults.js';
import { MAX_TOPIC_BYTES, topicLength } from '../limits.js';
import { SYSTEM_SERVICES } from './classes.js';
import { matchesLoosely, namesDevice, ownerView, unknownDollarTopicAllowed } from './fault-rules.js';
import { byteLength, covers, hasWildcard, intersect, levels, matchesPattern, type Levels } from './topics.js';

export interface SubscribeContext {
  readonly productId: string;
  readonly deviceName: string;
  readonly subscribeClasses: readonly (readonly string[])[];
  readonly faults: Faults;
}

export type SubscribeDecision =
  | { readonly granted: true; readonly subscriptions: readonly string[] }
  | { readonly granted: false; readonly reason: string };

const isSystem = (c: Levels) => c[0]!.startsWith('$');

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
    // WILD-003, WILD-011: the only wildcard a system topic may carry is the one its permission has
    const rrpc = ls.length === 5 && ls[0] === '$rrpc' && ls[1] === 'rxd' && ls[2] === ctx.productId && ls[4] === '+';
    return rrpc && namesDevice(ls[3]!, ctx.deviceName, ctx.faults) ? null : 'wildcard in a system topic';
  }
  if (ls.length < 3 || hasWildcard(ls[0]!) || hasWildcard(ls[1]!)) return 'wildcard in the productId/deviceName levels';
  // WILD-006: whole levels compared, so a device named `dev` does not own `dev1`'s topics
  if (ls[0] !== ctx.productId || !namesDevice(ls[1]!, ctx.deviceName, ctx.faults)) return "wildcard filter outside the device's own topics";
  return null;
}

/** Does a concrete topic (or subscription) lie in class `c` of this device? A class `+` matches exactly one level (ACL-015). */
export function classAllows(ctx: Pick<SubscribeContext, 'productId' | 'deviceName' | 'faults'>, topic: Levels, c: Levels): boolean {
  const view = ownerView(c, topic, ctx, ctx.faults);
  if (ctx.faults.has('class-plus-multi-level') && view[0] === ctx.productId && view.includes('+')) return matchesLoosely(topic, view);
  return matchesPattern(topic, view);
}

/** Decides one SUBSCRIBE filter: refused (SUBACK 0x80) or granted with the subscriptions to store. */
export function decideSubscribe(ctx: SubscribeContext, filter: string): SubscribeDecision {
  const problem = filterProblem(ctx, filter);
  if (problem) return { granted: false, reason: problem };
  const fl = levels(filter);
  const { faults } = ctx;
  if (!hasWildcard(filter)) {
    // a concrete filter is granted iff a subscribe class allows it (a class `+` matches any level: WILD-011)
    const classes = faults.has('rrpc-concrete-refused')
      ? ctx.subscribeClasses.filter((c) => !(isSystem(c) && c.includes('+')))
      : ctx.subscribeClasses;
    const allowed = classes.some((c) => classAllows(ctx, fl, c)) || unknownDollarTopicAllowed(fl, ctx, SYSTEM_SERVICES, faults);
    return allowed ? { granted: true, subscriptions: [filter] } : { granted: false, reason: 'no subscribe permission' };
  }
  // a valid wildcard filter is granted even when it matches nothing; it subscribes F ∩ C for every class C (WILD-004)
  const subs = new Set<string>();
  const endsWithHash = fl[fl.length - 1] === '#';
  for (const c of ctx.subscribeClasses) {
    const i = intersect(fl, ownerView(c, fl, ctx, faults));
    // WILD-007: `#` also meets zero levels, so data/# subscribes data itself
    if (i && !(faults.has('wildcard-hash-no-parent') && endsWithHash && i.length < fl.length)) subs.add(i.join('/'));
    else if (!i && faults.has('wildcard-plus-multi-level') && !isSystem(c) && matchesLoosely(c, fl)) subs.add(c.join('/'));
  }
  if (faults.has('wildcard-hash-system-topics') && fl.length === 3 && endsWithHash) {
    for (const c of ctx.subscribeClasses) if (isSystem(c)) subs.add(c.join('/'));
  }
  return { granted: true, subscriptions: [...subs] };
}

/** True when an existing or restored subscription lies inside one subscribe class (S ∩ C = S). */
export function isWithinClasses(ctx: SubscribeContext, sub: string): boolean {
  if (!ctx.faults.has('accept-oversize-topic') && topicLength(sub, ctx.faults) > MAX_TOPIC_BYTES) return false;
  const sl = levels(sub);
  if (!hasWildcard(sub) && unknownDollarTopicAllowed(sl, ctx, SYSTEM_SERVICES, ctx.faults)) return true;
  return ctx.subscribeClasses.some((c) => (hasWildcard(sub) ? covers(ownerView(c, sl, ctx, ctx.faults), sl) : classAllows(ctx, sl, c)));
}

/** The device's current subscriptions one UNSUBSCRIBE filter removes (access-rules §5). */
export function unsubscribeTargets(ctx: SubscribeContext, filter: string, current: readonly string[]): string[] {
  if (!hasWildcard(filter)) return current.includes(filter) ? [filter] : [];
  if (filterProblem(ctx, filter)) return [];
  const fl = levels(filter);
  if (ctx.faults.has('unsubscribe-removes-all')) return current.filter((s) => !s.startsWith('$'));
  // WILD-010: only what F covers; a subscription F merely overlaps stays
  if (ctx.faults.has('unsubscribe-wildcard-overlap')) return current.filter((s) => intersect(fl, levels(s)) !== null);
  return current.filter((s) => covers(fl, levels(s)));
}

// Cloud API request rates per action (API-035): a token bucket per action, refused with RequestLimitExceeded.
//
// The hub serves one account (one SecretId), so a bucket per action is the bucket per (account, action) that
// protocol.md §9.6 recommends. Time is the process's monotonic clock, not the hub clock a test may advance.

import { performance } from 'node:perf_hooks';
import type { Action } from '../api/context.js';
import { ApiError } from '../api/errors.js';
import type { Faults } from '../faults.js';

/** A bucket of requests for one action: in this process, or shared by a cluster (hub/bounds/shared-rates.ts). */
export interface Bucket {
  take(): boolean | Promise<boolean>;
}

/** Holds one second's worth of requests (`rate` tokens), refilled continuously at `rate` per second. */
export class TokenBucket implements Bucket {
  private tokens: number;
  private at: number;
  constructor(readonly rate: number, private readonly now: () => number = () => performance.now()) {
    this.tokens = rate;
    this.at = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.rate, this.tokens + ((t - this.at) / 1000) * this.rate);
    this.at = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The actions with their rates applied: a request past its action's rate is refused before the action runs. */
export function rateLimitActions(
  actions: Record<string, Action>,
  rates: Readonly<Record<string, number>>,
  faults: Faults,
  bucketOf: (action: string, rate: number) => Bucket = (_action, rate) => new TokenBucket(rate),
): Record<string, Action> {
  const out = { ...actions };
  for (const [name, rate] of Object.entries(rates)) {
    const action = actions[name];
    if (!action) continue; // a rate for an action this hub does not serve: InvalidAction answers it anyway
    const bucket = bucketOf(name, rate);
    const refuse = () => new ApiError('RequestLimitExceeded', `${name} is limited to ${rate} requests per second; retry after a moment`); // API-035
    out[name] = {
      params: action.params,
      run(ctx, params) {
        const taken = bucket.take();
        if (typeof taken === 'boolean') {
          if (!taken && !faults.has('api-no-rate-limits')) throw refuse();
          return action.run(ctx, params);
        }
        return taken.then((ok) => {
          if (!ok && !faults.has('api-no-rate-limits')) throw refuse();
          return action.run(ctx, params);
        });
      },
    };
  }
  return out;
}

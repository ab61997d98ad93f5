// The cloud API's rates (API-035) held by a hub cluster as a whole: one token bucket per action in Redis, taken by a
// Lua script so that a refill and a take are one atomic step whichever worker serves the request, on Redis' own clock
// (the workers' clocks need not agree). Without this each worker would serve the whole rate, N times it in all.

import type { Redis } from 'ioredis';
import { TokenBucket, type Bucket } from './rates.js';

/** KEYS[1] the bucket; ARGV[1] the rate per second, which is also its capacity (a second's worth). Returns 1 or 0. */
const TAKE = `
local rate = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]), tonumber(b[2])
if tokens == nil or at == nil or at > now then tokens, at = rate, now end
tokens = math.min(rate, tokens + (now - at) * rate / 1000000)
local ok = 0
if tokens >= 1 then tokens, ok = tokens - 1, 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', now))
-- idle for 2 s the bucket is full anyway: the key may go
redis.call('PEXPIRE', KEYS[1], 2000)
return ok
`;

export const RATE_KEY_PREFIX = 'hubcheck:api-rate:';

type WithTake = Redis & { hubcheckTakeToken(key: string, rate: number): Promise<number> };

/**
 * Buckets in Redis for the rate limiter. Should Redis fail, a request is judged by a bucket of this process alone
 * (the API keeps answering; the limit holds per worker until Redis is back), and the failure is logged once a minute.
 */
export function redisBuckets(redis: Redis, log: (line: string) => void): (action: string, rate: number) => Bucket {
  const r = redis as WithTake;
  if (typeof r.hubcheckTakeToken !== 'function') r.defineCommand('hubcheckTakeToken', { numberOfKeys: 1, lua: TAKE });
  let loggedAt = -Infinity;
  return (action, rate) => {
    const local = new TokenBucket(rate);
    return {
      take: () => r.hubcheckTakeToken(RATE_KEY_PREFIX + action, rate).then((ok) => ok === 1, (err: Error) => {
        if (Date.now() - loggedAt > 60_000) {
          loggedAt = Date.now();
          log(`api: the rate of ${action} cannot be judged in Redis (${err.message}); judging it in this worker alone until Redis answers`);
        }
        return local.take();
      }),
    };
  };
}

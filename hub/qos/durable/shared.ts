// Persistent sessions shared by the workers of a hub cluster, in Redis: the one place a session's state lives while
// no worker holds its device, so a device that reconnects to any worker finds its subscriptions and stored messages.
//
// A worker holds a session while its device is connected there (`holder`); it claims it at CONNECT and releases it at
// the disconnect, only if it still holds it (a newer login on another worker may have claimed it meanwhile). A QoS 1
// message is stored by the worker that routes it, for every persistent session whose subscription matches, held or
// not: a Lua script checks the session, its 24 h, the duplicates and the 150 cap in one step, so two workers storing
// at once cannot overfill a session. The publisher's PUBACK waits for those replies (hub/qos/index.ts).
//
// To find the sessions a topic matches without asking Redis per message, every worker keeps all persistent
// subscriptions in Aedes' in-memory trie. Changes are appended to a Redis stream (`log`) before the SUBACK, and a
// worker reads the stream up to its end before each lookup (catchUp): a SUBSCRIBE acknowledged by one worker is seen
// by a PUBLISH that reaches another worker after it.
//
// Keys, under `hubcheck:session:` (the same layout as the single-process Redis backend, redis.ts, plus holder, times,
// seq and log):
//   sessions          hash    clientId -> disconnectedAt (ms, hub retention clock; '' while online)
//   holder            hash    clientId -> workerId holding it
//   subs:{id}         hash    topic filter -> QoS
//   msgs:{id}         hash    brokerId:brokerCounter -> JSON message
//   order:{id}        zset    brokerId:brokerCounter by a cluster-wide sequence (the replay order)
//   times:{id}        zset    brokerId:brokerCounter by storedAt (for the 24 h expiry)
//   mids:{id}         hash    brokerId:brokerCounter -> packet identifier, once sent
//   seq               string  the sequence
//   log               stream  { from, op: sub|unsub|drop, id, data }

import { Redis } from 'ioredis';
import type { DurableMessage, DurableSubscription } from './backend.js';

const PREFIX = 'hubcheck:session:';
/** The stream keeps about this many entries; a worker that falls further behind reloads the whole trie. */
const LOG_LENGTH = 100_000;

export type LogEntry =
  | { op: 'sub'; id: string; subs: DurableSubscription[] }
  | { op: 'unsub'; id: string; topics: string[] }
  | { op: 'drop'; id: string };

interface MessageJson { brokerId: string; brokerCounter: number; topic: string; payload: string; storedAt: number }

const keysOf = (id: string) => [`subs:${id}`, `msgs:${id}`, `order:${id}`, `times:${id}`, `mids:${id}`];

// KEYS: sessions msgs order times mids seq; ARGV: clientId key json now messageTtl sessionTtl cap
// Returns 1 stored, 0 no live session, 2 full, 3 already stored.
const STORE = `
local at = redis.call('HGET', KEYS[1], ARGV[1])
if not at then return 0 end
local now = tonumber(ARGV[4])
if at ~= '' and now - tonumber(at) > tonumber(ARGV[6]) then return 0 end
local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. (now - tonumber(ARGV[5])))
for _, k in ipairs(old) do
  redis.call('HDEL', KEYS[2], k) redis.call('ZREM', KEYS[3], k) redis.call('ZREM', KEYS[4], k) redis.call('HDEL', KEYS[5], k)
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 3 end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[7]) then return 2 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[6]), ARGV[2])
redis.call('ZADD', KEYS[4], now, ARGV[2])
return 1`;

// KEYS: sessions holder subs msgs order times mids; ARGV: clientId workerId now sessionTtl
// Returns { present, expired }: the session is now online and held by workerId (created when there was none).
const CLAIM = `
local at = redis.call('HGET', KEYS[1], ARGV[1])
local present, expired = 0, 0
if at then
  if at ~= '' and tonumber(ARGV[3]) - tonumber(at) > tonumber(ARGV[4]) then
    redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
    expired = 1
  else
    present = 1
  end
end
redis.call('HSET', KEYS[1], ARGV[1], '')
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return { present, expired }`;

// KEYS: sessions holder; ARGV: clientId workerId now. The disconnect starts the 24 h only if workerId still holds it.
const RELEASE = `
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1`;

// KEYS: sessions holder subs msgs order times mids log; ARGV: clientId workerId logLength entry
// Drops whatever is kept of the session and logs the drop, in one step; nothing is logged when nothing was kept, so a
// CleanSession = 1 login of a device without a session (every login of a fleet that never persists one) costs one
// round trip and leaves the other workers nothing to read. Returns 1 when something was dropped.
const DROP = `
local n = redis.call('HDEL', KEYS[1], ARGV[1]) + redis.call('HDEL', KEYS[2], ARGV[1]) + redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
if n == 0 then return 0 end
redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[3], '*', 'from', ARGV[2], 'entry', ARGV[4])
return 1`;

/** Connects (within 5 s, naming the URL when it cannot) and returns the shared session state. */
export async function openShared(url: string, workerId: string, log: (line: string) => void): Promise<SharedSessions> {
  let lastError: Error | undefined;
  const redis = new Redis(url, { keyPrefix: PREFIX, lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 3, retryStrategy: (n) => Math.min(n * 200, 2000) });
  redis.on('error', (e: Error) => (lastError = e));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    throw new Error(`--redis ${url.replace(/\/\/[^@/]*@/, '//***@')}: cannot reach Redis for the shared sessions (${(lastError ?? (e as Error)).message}); start redis-server there or give the right URL`);
  }
  redis.defineCommand('hcStore', { numberOfKeys: 6, lua: STORE });
  redis.defineCommand('hcClaim', { numberOfKeys: 7, lua: CLAIM });
  redis.defineCommand('hcRelease', { numberOfKeys: 2, lua: RELEASE });
  redis.defineCommand('hcDrop', { numberOfKeys: 8, lua: DROP });
  return new SharedSessions(redis, workerId, log);
}

type Scripted = Redis & {
  hcStore(...args: (string | number)[]): Promise<number>;
  hcClaim(...args: (string | number)[]): Promise<[number, number]>;
  hcRelease(...args: (string | number)[]): Promise<number>;
  hcDrop(...args: (string | number)[]): Promise<number>;
};

export class SharedSessions {
  private readonly redis: Scripted;
  private lastId = '0-0';
  private reading: Promise<void> = Promise.resolve();
  private waiting: Promise<void> | undefined;
  private apply: (e: LogEntry) => Promise<void> = async () => {};

  constructor(redis: Redis, readonly workerId: string, private readonly log: (line: string) => void) {
    this.redis = redis as Scripted;
  }

  // ---- the replicated subscriptions

  /**
   * At start: every session's subscriptions, with the stream position to follow from. The position is read first, so
   * a change made while the snapshot is read is replayed on top of it (the entries are idempotent).
   */
  async snapshot(apply: (e: LogEntry) => Promise<void>): Promise<{ sessions: number; subscriptions: number }> {
    this.apply = apply;
    const last = (await this.redis.xrevrange('log', '+', '-', 'COUNT', 1)) as [string, string[]][];
    this.lastId = last[0]?.[0] ?? '0-0';
    const ids = Object.keys(await this.redis.hgetall('sessions'));
    let subscriptions = 0;
    for (const id of ids) {
      const subs = Object.entries(await this.redis.hgetall(`subs:${id}`)).map(([topic, qos]) => ({ topic, qos: Number(qos) }));
      subscriptions += subs.length;
      if (subs.length) await apply({ op: 'sub', id, subs });
    }
    return { sessions: ids.length, subscriptions };
  }

  /** Applies every log entry appended before this call (coalescing concurrent callers into one read). */
  catchUp(): Promise<void> {
    if (this.waiting) return this.waiting;
    const next = this.reading.then(async () => {
      this.waiting = undefined;
      await this.readToEnd();
    });
    this.waiting = next;
    this.reading = next.catch((e: Error) => this.log(`mqtt: shared sessions: cannot read the subscription log: ${e.message}`));
    return next;
  }

  private async readToEnd(): Promise<void> {
    for (;;) {
      const reply = (await this.redis.xread('COUNT', 1000, 'STREAMS', 'log', this.lastId)) as [string, [string, string[]][]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      for (const [id, fields] of entries) {
        this.lastId = id;
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
        // Own entries too: they were applied when made, but an older entry of another worker read since may have
        // undone them (a subscription re-added after this worker dropped the session); replaying in log order fixes it.
        await this.apply(JSON.parse(f['entry']!) as LogEntry);
      }
      if (entries.length < 1000) return;
    }
  }

  private async append(entry: LogEntry): Promise<void> {
    await this.redis.xadd('log', 'MAXLEN', '~', LOG_LENGTH, '*', 'from', this.workerId, 'entry', JSON.stringify(entry));
  }

  async addSubscriptions(id: string, subs: readonly DurableSubscription[]): Promise<void> {
    if (subs.length === 0) return;
    await this.redis.hset(`subs:${id}`, Object.fromEntries(subs.map((s) => [s.topic, String(s.qos)])));
    await this.append({ op: 'sub', id, subs: subs.map((s) => ({ topic: s.topic, qos: s.qos })) });
  }

  async removeSubscriptions(id: string, topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    await this.redis.hdel(`subs:${id}`, ...topics);
    await this.append({ op: 'unsub', id, topics: [...topics] });
  }

  async subscriptions(id: string): Promise<DurableSubscription[]> {
    return Object.entries(await this.redis.hgetall(`subs:${id}`)).map(([topic, qos]) => ({ topic, qos: Number(qos) }));
  }

  // ---- sessions

  /** CONNECT with CleanSession = 0: the session is online and held here; `expired` when a stale one was discarded. */
  async claim(id: string, now: number, sessionTtlMs: number): Promise<{ present: boolean; expired: boolean }> {
    const [present, expired] = await this.redis.hcClaim('sessions', 'holder', ...keysOf(id), id, this.workerId, now, sessionTtlMs);
    if (expired) await this.append({ op: 'drop', id });
    return { present: present === 1, expired: expired === 1 };
  }

  /** The messages stored for a session, oldest first, with the packet identifiers they were sent with. */
  async messages(id: string): Promise<DurableMessage[]> {
    const [order, msgs, mids] = (await this.redis.multi().zrange(`order:${id}`, 0, -1).hgetall(`msgs:${id}`).hgetall(`mids:${id}`).exec() ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    }) as [string[], Record<string, string>, Record<string, string>];
    const out: DurableMessage[] = [];
    for (const k of order) {
      const raw = msgs[k];
      if (raw === undefined) continue;
      const m = JSON.parse(raw) as MessageJson;
      out.push({ brokerId: m.brokerId, brokerCounter: m.brokerCounter, topic: m.topic, payload: Buffer.from(m.payload, 'base64'), storedAt: m.storedAt, messageId: mids[k] === undefined ? undefined : Number(mids[k]) });
    }
    return out;
  }

  async count(id: string): Promise<number> {
    return this.redis.zcard(`order:${id}`);
  }

  /** The session's offline time (null while online), or undefined when there is none. */
  async session(id: string): Promise<{ disconnectedAt: number | null } | undefined> {
    const at = await this.redis.hget('sessions', id);
    return at === null ? undefined : { disconnectedAt: at === '' ? null : Number(at) };
  }

  /** The device left this worker: its 24 h start, unless another worker holds the session now. */
  release(id: string, now: number): void {
    this.redis.hcRelease('sessions', 'holder', id, this.workerId, now).catch((e: Error) => this.log(`mqtt: shared sessions: disconnect of ${id} not recorded: ${e.message}`));
  }

  /** At start: sessions a previous worker of this id held when it died are offline from now. */
  async releaseAll(now: number): Promise<number> {
    const held = Object.entries(await this.redis.hgetall('holder')).filter(([, w]) => w === this.workerId).map(([id]) => id);
    for (const id of held) await this.redis.hcRelease('sessions', 'holder', id, this.workerId, now);
    return held.length;
  }

  /** The session, its subscriptions and messages are gone (CleanSession = 1 login, or 24 h offline); false when there was none. */
  async drop(id: string): Promise<boolean> {
    const entry: LogEntry = { op: 'drop', id };
    return (await this.redis.hcDrop('sessions', 'holder', ...keysOf(id), 'log', id, this.workerId, LOG_LENGTH, JSON.stringify(entry))) === 1;
  }

  /** Offline sessions past their 24 h (any worker may sweep; dropping twice is harmless). */
  async expiredSessions(now: number, sessionTtlMs: number): Promise<string[]> {
    return Object.entries(await this.redis.hgetall('sessions')).filter(([, at]) => at !== '' && now - Number(at) > sessionTtlMs).map(([id]) => id);
  }

  // ---- messages

  /** Stores a QoS 1 message for a session: 'stored', 'none' (no live session), 'full' (150 kept) or 'duplicate'. */
  async store(id: string, m: DurableMessage, now: number, messageTtlMs: number, sessionTtlMs: number, cap: number): Promise<'stored' | 'none' | 'full' | 'duplicate'> {
    const json: MessageJson = { brokerId: m.brokerId, brokerCounter: m.brokerCounter, topic: m.topic, payload: m.payload.toString('base64'), storedAt: m.storedAt };
    const r = await this.redis.hcStore('sessions', `msgs:${id}`, `order:${id}`, `times:${id}`, `mids:${id}`, 'seq', id, `${m.brokerId}:${m.brokerCounter}`, JSON.stringify(json), now, messageTtlMs, sessionTtlMs, cap);
    return r === 1 ? 'stored' : r === 2 ? 'full' : r === 3 ? 'duplicate' : 'none';
  }

  setMessageId(id: string, brokerId: string, brokerCounter: number, messageId: number | undefined): void {
    const k = `${brokerId}:${brokerCounter}`;
    (messageId === undefined ? this.redis.hdel(`mids:${id}`, k) : this.redis.hset(`mids:${id}`, k, String(messageId)))
      .catch((e: Error) => this.log(`mqtt: shared sessions: packet id of a message for ${id} not recorded: ${e.message}`));
  }

  deleteMessage(id: string, brokerId: string, brokerCounter: number): void {
    const k = `${brokerId}:${brokerCounter}`;
    this.redis.multi().hdel(`msgs:${id}`, k).zrem(`order:${id}`, k).zrem(`times:${id}`, k).hdel(`mids:${id}`, k).exec()
      .catch((e: Error) => this.log(`mqtt: shared sessions: removal of a message for ${id} not recorded: ${e.message}`));
  }

  async close(): Promise<void> {
    await this.reading.catch(() => {});
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

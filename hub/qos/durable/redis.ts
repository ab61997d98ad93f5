// Persistent sessions in Redis (ioredis, `--redis URL`). One connection, so commands reach Redis in the order they
// were issued; a message is stored with MULTI (its record and its place in the order together), and flush() waits
// for those replies before the hub acknowledges the PUBLISH. Other writes are not waited for: a failed one is
// logged, and at worst a restart resends a message or keeps a session a little longer.
//
// Keys, under the prefix `hubcheck:session:`:
//   sessions            hash  clientId -> disconnectedAt (ms, hub retention clock; '' while online)
//   subs:{clientId}     hash  topic filter -> QoS
//   msgs:{clientId}     hash  brokerId:brokerCounter -> JSON { brokerId, brokerCounter, topic, payload (base64), storedAt }
//   order:{clientId}    zset  brokerId:brokerCounter scored by storage order (the order of the replay)
//   mids:{clientId}     hash  brokerId:brokerCounter -> packet identifier, once sent (a resend carries DUP = 1)
// What Redis itself keeps across its own restart depends on its persistence settings (RDB/AOF), not on the hub.

import { Redis } from 'ioredis';
import type { DurableMessage, DurableSession, SessionBackend } from './backend.js';

const PREFIX = 'hubcheck:session:';
const CONNECT_TIMEOUT_MS = 5000;

interface MessageJson { brokerId: string; brokerCounter: number; topic: string; payload: string; storedAt: number }

/** A `redis://` or `rediss://` URL, or an error that names the option and gives an example. */
export function checkRedisUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`redisUrl ${JSON.stringify(url)} is not a URL; give one like redis://127.0.0.1:6379/0`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`redisUrl ${url}: the scheme must be redis:// or rediss:// (e.g. redis://127.0.0.1:6379/0)`);
  return url;
}

/** Connects (failing within 5 s with a message naming the URL) and returns the backend. */
export async function redisBackend(url: string, log: (line: string) => void): Promise<SessionBackend> {
  checkRedisUrl(url);
  let started = false;
  let lastError: Error | undefined;
  const redis = new Redis(url, {
    keyPrefix: PREFIX,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 3,
    // no retries at start (a wrong URL fails at once); later, reconnect with a capped back-off
    retryStrategy: (times) => (started ? Math.min(times * 200, 2000) : null),
  });
  redis.on('error', (e: Error) => (lastError = e)); // reported through the commands that fail
  try {
    await redis.connect();
    await redis.ping();
    started = true;
  } catch (e) {
    redis.disconnect();
    const shown = url.replace(/\/\/[^@/]*@/, '//***@'); // no password in logs
    throw new Error(`--redis ${shown}: cannot reach Redis (${(lastError ?? (e as Error)).message}); start redis-server there or give the right URL`);
  }

  let seq = 0;
  let stores: Promise<unknown>[] = [];
  // flush() calls are answered strictly in the order they were made, including those with nothing to wait for: a
  // PUBLISH that stored nothing (the session is full, or no persistent session matches) must not be emitted before
  // an earlier one still waiting for Redis, or the outbox's dedupe (by broker counter) would drop the earlier one.
  const waiters: { stores: Promise<unknown>[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  let draining = false;
  const drain = async () => {
    if (draining) return;
    draining = true;
    while (waiters.length > 0) {
      const w = waiters.shift()!;
      try {
        await Promise.all(w.stores);
        w.resolve();
      } catch (e) {
        w.reject(e as Error);
      }
    }
    draining = false;
  };
  const fail = (what: string) => (e: Error) => log(`mqtt: session store (redis): ${what} not recorded: ${e.message}`);
  const key = (brokerId: string, brokerCounter: number) => `${brokerId}:${brokerCounter}`;

  return {
    kind: 'redis',
    durable: true,
    async load() {
      const sessions = await redis.hgetall('sessions');
      const ids = Object.keys(sessions);
      const pipe = redis.pipeline();
      for (const id of ids) pipe.hgetall(`subs:${id}`).zrange(`order:${id}`, 0, -1, 'WITHSCORES').hgetall(`msgs:${id}`).hgetall(`mids:${id}`);
      const replies = (await pipe.exec()) ?? [];
      const out: DurableSession[] = [];
      ids.forEach((clientId, i) => {
        const [subs, order, msgs, mids] = replies.slice(i * 4, i * 4 + 4).map(([err, value]) => {
          if (err) throw err;
          return value;
        }) as [Record<string, string>, string[], Record<string, string>, Record<string, string>];
        const messages: DurableMessage[] = [];
        for (let k = 0; k < order.length; k += 2) {
          seq = Math.max(seq, Number(order[k + 1]));
          const raw = msgs[order[k]!];
          if (raw === undefined) continue;
          const m = JSON.parse(raw) as MessageJson;
          const mid = mids[order[k]!];
          messages.push({ brokerId: m.brokerId, brokerCounter: m.brokerCounter, topic: m.topic, payload: Buffer.from(m.payload, 'base64'), storedAt: m.storedAt, messageId: mid === undefined ? undefined : Number(mid) });
        }
        const at = sessions[clientId]!;
        out.push({ clientId, disconnectedAt: at === '' ? null : Number(at), subscriptions: Object.entries(subs).map(([topic, qos]) => ({ topic, qos: Number(qos) })), messages });
      });
      return out;
    },
    saveSession(clientId, disconnectedAt) {
      redis.hset('sessions', clientId, disconnectedAt === null ? '' : String(disconnectedAt)).catch(fail(`session of ${clientId}`));
    },
    deleteSession(clientId) {
      redis.multi().hdel('sessions', clientId).del(`subs:${clientId}`, `msgs:${clientId}`, `order:${clientId}`, `mids:${clientId}`).exec().catch(fail(`end of the session of ${clientId}`));
    },
    putSubscriptions(clientId, subs) {
      if (subs.length === 0) return;
      redis.hset(`subs:${clientId}`, Object.fromEntries(subs.map((s) => [s.topic, String(s.qos)]))).catch(fail(`subscriptions of ${clientId}`));
    },
    removeSubscriptions(clientId, topics) {
      if (topics.length === 0) return;
      redis.hdel(`subs:${clientId}`, ...topics).catch(fail(`unsubscriptions of ${clientId}`));
    },
    addMessage(clientId, m) {
      const k = key(m.brokerId, m.brokerCounter);
      const json: MessageJson = { brokerId: m.brokerId, brokerCounter: m.brokerCounter, topic: m.topic, payload: m.payload.toString('base64'), storedAt: m.storedAt };
      const tx = redis.multi().hsetnx(`msgs:${clientId}`, k, JSON.stringify(json)).zadd(`order:${clientId}`, 'NX', ++seq, k);
      if (m.messageId !== undefined) tx.hset(`mids:${clientId}`, k, String(m.messageId));
      const stored = tx.exec().then((replies) => {
        const failed = replies?.find(([err]) => err);
        if (!replies || failed) throw failed?.[0] ?? new Error('the MULTI was discarded');
      });
      stored.catch(fail(`a message for ${clientId}`)); // logged here; flush() reports it to the PUBLISH as well
      stores.push(stored);
    },
    setMessageId(clientId, brokerId, brokerCounter, messageId) {
      const k = key(brokerId, brokerCounter);
      const done = messageId === undefined ? redis.hdel(`mids:${clientId}`, k) : redis.hset(`mids:${clientId}`, k, String(messageId));
      done.catch(fail(`packet id of a message for ${clientId}`));
    },
    deleteMessage(clientId, brokerId, brokerCounter) {
      const k = key(brokerId, brokerCounter);
      redis.multi().hdel(`msgs:${clientId}`, k).zrem(`order:${clientId}`, k).hdel(`mids:${clientId}`, k).exec().catch(fail(`removal of a message for ${clientId}`));
    },
    batch: (fn) => fn(),
    flush() {
      const own = stores;
      stores = [];
      return new Promise<void>((resolve, reject) => {
        waiters.push({ stores: own, resolve, reject });
        void drain();
      });
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

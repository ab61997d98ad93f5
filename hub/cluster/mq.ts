// Message routing between the workers of a hub cluster: Aedes' emitter replaced by mqemitter-redis, so a message
// published through any worker reaches subscribers on every worker, and Aedes' own `$SYS/<id>/new/clients` event
// closes a device's older connection on another worker (one session per device across the cluster).
//
// Redis pub/sub channels are global to the server, not per database: the channel names carry a prefix made of the
// database number, so clusters on different databases of one Redis do not hear each other.

import MQEmitterRedis from 'mqemitter-redis';

export type ClusterEmitter = ReturnType<typeof MQEmitterRedis>;

export function channelPrefix(redisUrl: string): string {
  const db = Number(new URL(redisUrl).pathname.slice(1) || 0);
  return `hubcheck${Number.isInteger(db) ? db : 0}/`;
}

/** Connects both Redis connections (publish, subscribe), failing within `timeoutMs` with a message naming the URL. */
export async function clusterEmitter(redisUrl: string, timeoutMs = 5000): Promise<ClusterEmitter> {
  const mq = new MQEmitterRedis.MQEmitterRedisPrefix(channelPrefix(redisUrl), { connectionString: redisUrl });
  const shown = redisUrl.replace(/\/\/[^@/]*@/, '//***@');
  const connected = (conn: { status: string; once(e: string, f: (...a: unknown[]) => void): unknown }) =>
    conn.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => conn.once('ready', () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  let lastError: Error | undefined;
  mq.state.on('error', (e: Error) => (lastError = e));
  try {
    await Promise.race([
      Promise.all([connected(mq.subConn), connected(mq.pubConn)]),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(lastError?.message ?? 'no answer')), timeoutMs))),
    ]);
  } catch (e) {
    mq.subConn.disconnect();
    mq.pubConn.disconnect();
    throw new Error(`--redis ${shown}: cannot reach Redis for message routing (${(e as Error).message}); start redis-server there or give the right URL`);
  } finally {
    clearTimeout(timer);
  }
  return mq;
}

// Broadcast: PublishBroadcastMessage delivers a payload to every online device of the product on its own $broadcast/rxd/${pid}/${dn} (protocol.md §7.1).

import type { Client } from 'aedes';
import type { Action } from '../../api/context.js';
import { ApiError, invalid } from '../../api/errors.js';
import { optString, PRODUCT_ID, reqInt, reqString } from '../../api/params.js';
import { requireProduct } from '../../api/views.js';
import { nextInSequence } from '../sequence.js';
import type { HubService, ServiceContext } from '../types.js';
import { directRoute, type DirectDelivery } from './direct.js';
import { clusterTasks, type RunningTasks } from './tasks.js';

/** Payload parameter limit: 8 KB as sent, i.e. the Base64 text when PayloadEncoding is base64 (protocol.md §7.1, §11; BCAST-005). */
export const MAX_BROADCAST_PAYLOAD_BYTES = 8 * 1024;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TASK_SEQ_KEY = 'broadcast-task-seq';

/** The bus question a worker asks the others: which devices (of a product, or all) are online on it. */
const ONLINE = 'broadcast-online';

interface BroadcastState {
  /** Products whose broadcast is being handed to the broker right now (BCAST-007), in this process or the whole cluster. */
  running: RunningTasks;
  /** The broker's direct route for QoS 0 broadcasts (undefined: every broadcast goes through broker.publish). */
  direct: ReturnType<typeof directRoute>;
}

const STATES = new WeakMap<ServiceContext, BroadcastState>();

/** Online devices as [productId, deviceName], one per device even when it has several connections. */
function onlineDevices(ctx: ServiceContext): [string, string][] {
  const clients = Object.values((ctx.broker as unknown as { clients: Record<string, Client> }).clients);
  const seen = new Map<string, [string, string]>();
  for (const client of clients) {
    const session = ctx.sessions.get(client);
    if (session && !session.revoked) seen.set(session.clientId, [session.productId, session.deviceName]);
  }
  return [...seen.values()];
}

/** Online devices of the product (every product: null) on every worker of a cluster, asked of those presence names. */
async function onlineEverywhere(ctx: ServiceContext, productId: string | null): Promise<[string, string][]> {
  const here = (pid: string | null) => onlineDevices(ctx).filter(([p]) => pid === null || p === pid);
  if (!ctx.bus.clustered) return here(productId);
  const workers = ctx.sessions.holders(...(productId === null ? [] : [productId]));
  const answers = await ctx.bus.ask([...new Set([ctx.bus.workerId, ...workers])], ONLINE, productId);
  const seen = new Map<string, [string, string]>();
  for (const list of answers.values()) for (const [pid, dn] of list as [string, string][]) seen.set(`${pid}/${dn}`, [pid, dn]);
  return [...seen.values()];
}

const PublishBroadcastMessage: Action = {
  params: ['ProductId', 'Payload', 'Qos', 'PayloadEncoding'],
  async run(actx, p) {
    const ctx = actx.hub;
    const s = STATES.get(ctx);
    if (!s) throw new Error('the broadcast service was not started for this hub');
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const text = reqString(p, 'Payload');
    const qos = reqInt(p, 'Qos', { oneOf: [0, 1] }) as 0 | 1;
    const encoding = optString(p, 'PayloadEncoding', { pattern: /^(base64)?$/, expected: '"base64" or empty' }); // BCAST-011
    requireProduct(actx.registry, productId); // BCAST-006
    if (Buffer.byteLength(text) > MAX_BROADCAST_PAYLOAD_BYTES) {
      throw new ApiError('InvalidParameterValue.PayloadOverLimit', `Payload is ${Buffer.byteLength(text)} bytes; a broadcast carries at most ${MAX_BROADCAST_PAYLOAD_BYTES}`); // BCAST-005
    }
    if (encoding === 'base64' && !BASE64.test(text)) throw invalid('Payload', 'Base64 text (PayloadEncoding is "base64")', text); // BCAST-011
    // BCAST-003: raw text, or the decoded bytes
    const payload = encoding === 'base64' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    if (!s.running.start(productId)) {
      throw new ApiError('FailedOperation.BroadcastTaskIsRunning', `a broadcast to product ${productId} is still being delivered; retry when it is done`); // BCAST-007
    }
    try {
      const taskId = nextInSequence(ctx.registry, TASK_SEQ_KEY);
      // BCAST-001, BCAST-002: online devices of this product only, each on its own topic; the broker
      // delivers to those subscribed, at min(Qos, granted QoS) (BCAST-009). Offline devices get nothing (BCAST-008).
      const crossProduct = ctx.faults.has('broadcast-cross-product');
      const targets = await onlineEverywhere(ctx, crossProduct ? null : productId);
      // QoS 0 to a device that alone subscribes its topic: written straight to its connection (direct.ts)
      const direct = qos === 0 && !ctx.bus.clustered ? s.direct : undefined;
      const straight: DirectDelivery[] = [];
      const routed: Promise<void>[] = [];
      for (const [pid, dn] of targets) {
        const topic = `$broadcast/rxd/${pid}/${dn}`;
        const planned = direct?.plan(pid + dn, topic, payload);
        if (planned) straight.push(planned);
        else routed.push(ctx.publish(topic, payload, qos));
      }
      if (straight.length > 0) direct!.send(straight);
      await Promise.all(routed);
      return { TaskId: taskId }; // BCAST-004
    } finally {
      s.running.end(productId);
    }
  },
};

export const broadcast: HubService = {
  name: 'broadcast',
  actions: { PublishBroadcastMessage },
  start(ctx) {
    if (!ctx.bus.clustered) {
      const running = new Set<string>();
      STATES.set(ctx, { running: { start: (p) => !running.has(p) && !!running.add(p), end: (p) => void running.delete(p) }, direct: directRoute(ctx.broker, ctx.log) });
      return;
    }
    STATES.set(ctx, { running: clusterTasks(ctx.registry, ctx.bus.workerId), direct: undefined });
    ctx.bus.answer(ONLINE, (productId) => onlineDevices(ctx).filter(([pid]) => productId === null || pid === productId));
  },
};

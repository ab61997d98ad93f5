// Where a device is connected, for the cloud actions that need its live connection (PublishMessage, RRPC): in this
// process, or, in a hub cluster, on the worker that holds it, which is asked (hub/cluster/bus.ts) since only it knows
// the connection's subscriptions.

import { covers, levels } from '../acl/topics.js';
import type { ServiceContext } from './types.js';

export interface ClientView { closed?: boolean; subscriptions?: Record<string, { qos: number }> }

/**
 * The device's open connection in this process, if any; `viaGateway`: also a sub-device online through its gateway's
 * (GW-012). Taken from the hub's logins, not broker.clients: Aedes marks a connection being torn down closed, drops its
 * subscriptions, and only then forgets it, while the device's new connection (here, or on another worker of a cluster)
 * may already be subscribed.
 */
export function localClient(ctx: ServiceContext, productId: string, deviceName: string, viaGateway: boolean): ClientView | undefined {
  const own = ctx.sessions.connection(productId, deviceName);
  if (own || !viaGateway) return own as ClientView | undefined;
  const gateway = ctx.sessions.proxyClient(productId, deviceName);
  return gateway?.closed ? undefined : (gateway as ClientView | undefined);
}

/** Whether the connection holds a subscription covering `topic`. */
export function coversTopic(client: ClientView | undefined, topic: string): boolean {
  const t = levels(topic);
  return Object.keys(client?.subscriptions ?? {}).some((filter) => covers(levels(filter), t));
}

interface Question { productId: string; deviceName: string; topic: string }
interface Answer { connected: boolean; subscribed: boolean }

/**
 * Lets the other workers ask this one about the devices it holds, under the question `name` (one per service, each
 * with its own `viaGateway`). Call once from the service's start.
 */
export function answerSubscribed(ctx: ServiceContext, name: string, viaGateway: boolean): void {
  ctx.bus.answer(name, (data): Answer => {
    const { productId, deviceName, topic } = data as Question;
    const client = localClient(ctx, productId, deviceName, viaGateway);
    return client ? { connected: true, subscribed: coversTopic(client, topic) } : { connected: false, subscribed: false };
  });
}

/**
 * In a cluster, for a device online on another worker: whether its connection there holds a subscription covering
 * `topic`; undefined when no worker that presence names answers that it holds a connection (it has just gone, or its
 * worker was killed).
 */
export async function subscribedElsewhere(ctx: ServiceContext, name: string, productId: string, deviceName: string, topic: string): Promise<boolean | undefined> {
  const holders = ctx.sessions.holders(productId, deviceName).filter((w) => w !== ctx.bus.workerId);
  if (holders.length === 0) return undefined;
  const answers = [...(await ctx.bus.ask(holders, name, { productId, deviceName, topic } satisfies Question)).values()] as Answer[];
  if (!answers.some((a) => a.connected)) return undefined;
  return answers.some((a) => a.subscribed);
}

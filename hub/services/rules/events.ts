// Device online/offline events as rules see them (protocol.md §10.6): {"deviceName","event","productID","reason","timestamp","topic"} on $state/report/${pid}/${dn}.

import type { Client } from 'aedes';
import type { ServiceContext } from '../types.js';

export type StateReason = 'REASON_DEVICE_CONNECT' | 'REASON_DEVICE_DISCONNECT' | 'REASON_STATE_KICKED' | 'REASON_DEVICE_KICKED' | 'REASON_KEEPALIVE_TIMEOUT';

export interface StateEvent {
  topic: string;
  payload: Buffer;
  productId: string;
  deviceName: string;
}

/** Calls `emit` with an EV_ONLINE when a device's login completes and an EV_OFFLINE with the reason when its connection ends. */
export function watchDeviceState(ctx: ServiceContext, emit: (e: StateEvent) => void): void {
  const timedOut = new WeakSet<Client>();
  const make = (productId: string, deviceName: string, event: 'EV_ONLINE' | 'EV_OFFLINE', reason: StateReason): StateEvent => {
    const topic = `$state/report/${productId}/${deviceName}`;
    const body = { deviceName, event, productID: productId, reason, timestamp: Math.floor(ctx.clock.now() / 1000), topic };
    return { topic, payload: Buffer.from(JSON.stringify(body)), productId, deviceName };
  };
  const broker = ctx.broker as unknown as NodeJS.EventEmitter;
  broker.on('keepaliveTimeout', (client: Client) => timedOut.add(client));
  // In a cluster, a login that takes over a connection held by another worker reports both events, in order, from
  // here: the older worker's EV_OFFLINE and this one's EV_ONLINE would otherwise race to the rules' endpoints.
  const otherWorker = (productId: string, deviceName: string) => ctx.sessions.holders(productId, deviceName).some((w) => w !== ctx.bus.workerId);
  const tookOver = new WeakSet<Client>();
  if (ctx.bus.clustered) {
    // 'client' comes before Aedes tells the other workers of the new login, so the older one still holds its row
    broker.on('client', (client: Client) => {
      const s = ctx.sessions.get(client);
      if (s && otherWorker(s.productId, s.deviceName)) tookOver.add(client);
    });
  }
  broker.on('clientReady', (client: Client) => {
    const s = ctx.sessions.get(client);
    if (!s) return;
    if (tookOver.has(client)) emit(make(s.productId, s.deviceName, 'EV_OFFLINE', 'REASON_DEVICE_KICKED')); // RULE-034, for the other worker
    emit(make(s.productId, s.deviceName, 'EV_ONLINE', 'REASON_DEVICE_CONNECT')); // RULE-033
  });
  broker.on('clientDisconnect', (client: Client) => {
    const s = ctx.sessions.get(client);
    if (!s) return;
    // RULE-034: which reason; a socket closed without DISCONNECT counts as a device disconnect (hub/README.md).
    const reason: StateReason = timedOut.has(client)
      ? 'REASON_KEEPALIVE_TIMEOUT'
      : s.revoked
        ? 'REASON_STATE_KICKED'
        : ctx.sessions.othersOf(client) > 0
          ? 'REASON_DEVICE_KICKED'
          : 'REASON_DEVICE_DISCONNECT';
    // closed because a login on another worker took over: that worker reports it (above)
    if (reason === 'REASON_DEVICE_DISCONNECT' && ctx.bus.clustered && otherWorker(s.productId, s.deviceName)) return;
    emit(make(s.productId, s.deviceName, 'EV_OFFLINE', reason));
  });
}

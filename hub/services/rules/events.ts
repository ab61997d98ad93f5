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
  broker.on('clientReady', (client: Client) => {
    const s = ctx.sessions.get(client);
    if (s) emit(make(s.productId, s.deviceName, 'EV_ONLINE', 'REASON_DEVICE_CONNECT')); // RULE-033
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
    emit(make(s.productId, s.deviceName, 'EV_OFFLINE', reason));
  });
}

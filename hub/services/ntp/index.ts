// Time service: {"type":"get","resource":["time"]} on $sys/operation/${pid}/${dn} is answered on $sys/operation/result/${pid}/${dn} (protocol.md §2.6).

import type { HubService } from '../types.js';

/** Fault `ntp-stale-time`: the reply is this far behind the hub's clock. */
const STALE_OFFSET_MS = 3_600_000;

export const ntp: HubService = {
  name: 'ntp',
  start(ctx) {
    ctx.onDevicePublish('$sys/operation/+/+', (m) => {
      const received = ctx.clock.now(); // ntptime1: when the hub got the request
      let request: unknown;
      try {
        request = JSON.parse(m.payload.toString('utf8'));
      } catch {
        return ctx.log(`ntp: ignored a $sys request from ${m.productId}/${m.deviceName} that is not JSON`);
      }
      const r = request as { type?: unknown; resource?: unknown };
      // NTP-004: only the documented time request is answered; anything else is ignored
      if (r?.type !== 'get' || !Array.isArray(r.resource) || !r.resource.includes('time')) {
        return ctx.log(`ntp: ignored a $sys request of type ${JSON.stringify(r?.type)} from ${m.productId}/${m.deviceName}`);
      }
      const skew = ctx.faults.has('ntp-stale-time') ? STALE_OFFSET_MS : 0;
      const sent = ctx.clock.now(); // ntptime2: just before the reply goes out
      // NTP-001, NTP-002, NTP-003: seconds and the two millisecond times, from the hub's clock
      const reply = { type: 'get', time: Math.floor((sent - skew) / 1000), ntptime1: received - skew, ntptime2: sent - skew };
      ctx.publish(`$sys/operation/result/${m.productId}/${m.deviceName}`, JSON.stringify(reply), 0).catch((err: Error) =>
        ctx.log(`ntp: reply to ${m.productId}/${m.deviceName} failed: ${err.message}`));
    });
  },
};

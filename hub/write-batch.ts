// Writes to one device connection: the first ones of an event-loop turn leave as mqtt-packet sends them (each packet
// at the next tick); once a connection has taken BATCH_AFTER_WRITES writes in one turn, the rest of that turn's
// writes are held (corked) until the turn's check phase (setImmediate) and leave together.
//
// Why a threshold and not every write held: a heavy connection (a fan-in consumer, a QoS 0 flood) saves one loopback
// write per packet, but holding a light connection's few packets to the end of the turn made clients that keep
// Nagle's algorithm on (mqtt.js by default, the official C SDK's Linux HAL sets no TCP_NODELAY) wait for delayed ACKs:
// 20 mqtt.js clients, 10 QoS 1 publishes in flight each, self-subscribed, got 7.8k msg/s from the hub against 17k from
// bare Aedes; with the threshold 19k, without any batching 20–26k (bench/load-engine.ts, "hub vs bare Aedes"). Every
// write held made QoS 0 1 → 1 at 1,000 in flight 0.83× Mosquitto, none held 0.59×, the threshold 0.81×.
import type { Socket } from 'node:net';

/** Socket writes (mqtt-packet makes 2–5 per packet) a connection takes in a turn before the rest are held. */
export const BATCH_AFTER_WRITES = 64;

export function batchWrites(socket: Socket): void {
  const write = socket.write;
  let writes = 0;
  let counting = false;
  let held = false;
  const endOfTurn = () => {
    counting = false;
    writes = 0;
    if (!held) return;
    held = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = function batched(this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!counting) {
      counting = true;
      setImmediate(endOfTurn);
    }
    if (++writes === BATCH_AFTER_WRITES && !socket.destroyed) {
      held = true;
      socket.cork();
    }
    return write.apply(this, args);
  } as Socket['write'];
}

// Holding a connection's writes to the end of the event-loop turn (corked until the turn's check phase, setImmediate),
// so they leave together. Two users: every TCP device connection once it has taken BATCH_AFTER_WRITES writes in a turn
// (`batchWrites`), and the broadcast's direct route for each connection it writes to (`holdToEndOfTurn`).
//
// Why a threshold and not every write held: a heavy connection (a fan-in consumer, a QoS 0 flood) saves one loopback
// write per packet, but holding a light connection's few packets to the end of the turn made clients that keep
// Nagle's algorithm on (mqtt.js by default, the official C SDK's Linux HAL sets no TCP_NODELAY) wait for delayed ACKs:
// 20 mqtt.js clients, 10 QoS 1 publishes in flight each, self-subscribed, got 7.8k msg/s from the hub against 17k from
// bare Aedes; with the threshold 19k, without any batching 20–26k (bench/load-engine.ts, "hub vs bare Aedes"). Every
// write held made QoS 0 1 → 1 at 1,000 in flight 0.83× Mosquitto, none held 0.59×, the threshold 0.81×. No device
// waits on a broadcast the way it waits for its PUBACK, so the broadcast holds from the first write.
import type { Socket } from 'node:net';

/** Socket writes (mqtt-packet makes 2–5 per packet) a connection takes in a turn before the rest are held. */
export const BATCH_AFTER_WRITES = 64;

/** What holding needs of a connection (a TCP socket, or a WebSocket stream). */
export interface Holdable { destroyed: boolean; cork(): void; uncork(): void }

const held = new Set<Holdable>();
/** Counts the turns that had writes, so a connection's write count starts again in each. */
let turn = 0;
let ending = false;

function endTurn(): void {
  ending = false;
  turn++;
  for (const conn of held) if (!conn.destroyed) conn.uncork();
  held.clear();
}

function endThisTurn(): void {
  if (ending) return;
  ending = true;
  setImmediate(endTurn);
}

/** Holds `conn`'s writes until the end of this turn (once per turn, however often called). */
export function holdToEndOfTurn(conn: Holdable): void {
  if (held.has(conn) || conn.destroyed) return;
  held.add(conn);
  conn.cork();
  endThisTurn();
}

/** Lets `socket`'s first BATCH_AFTER_WRITES writes of each turn go out as written and holds the rest. */
export function batchWrites(socket: Socket): void {
  const write = socket.write;
  let writes = 0;
  let counted = -1;
  socket.write = function batched(this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (counted !== turn) {
      counted = turn;
      writes = 0;
    }
    endThisTurn();
    if (++writes === BATCH_AFTER_WRITES) holdToEndOfTurn(socket);
    return write.apply(this, args);
  } as Socket['write'];
}

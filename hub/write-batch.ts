// Writes to one device connection within an event-loop turn leave in one write: the socket stays corked until the
// turn's check phase (setImmediate). mqtt-packet corks only until the next tick, so each PUBLISH, PUBACK or delivery
// was its own write, and the loopback write was the largest cost of routing (a fan-in consumer took one per message).
import type { Socket } from 'node:net';

export function batchWrites(socket: Socket): void {
  const write = socket.write;
  let held = false;
  const release = () => {
    held = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = function batched(this: Socket, ...args: Parameters<Socket['write']>): boolean {
    if (!held && !socket.destroyed) {
      held = true;
      socket.cork();
      setImmediate(release);
    }
    return write.apply(this, args);
  } as Socket['write'];
}

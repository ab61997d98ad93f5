// A free TCP port to listen on a moment later (a hub a launcher starts, a cluster's workers), chosen below the kernel's
// ephemeral range when there is room: a port from port 0 lies in that range, and on a busy machine an outgoing
// connection could take it as its local port in the seconds before the listener binds it (EADDRINUSE).

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's range for ephemeral ports (Linux), where outgoing connections take their local ports. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high && low <= high) return [low, high];
  } catch {
    // not Linux: the IANA dynamic range
  }
  return [49152, 65535];
}

/** Whether `port` can be listened on now (the probe is closed again). */
function listenable(host: string, port: number): Promise<number | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      server.close(() => resolve(address && typeof address === 'object' ? address.port : undefined));
    });
  });
}

/** Ports this process handed out recently: a probe reserves nothing, so two callers must not be given the same one. */
const handedOut = new Set<number>();
const REMEMBERED = 4096;

function remember(port: number): void {
  handedOut.add(port);
  if (handedOut.size > REMEMBERED) handedOut.delete(handedOut.values().next().value!);
}

/**
 * A port free now on `host`, below the ephemeral range when there is room, else one the kernel picks; never one this
 * process handed out among the last REMEMBERED.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  for (let tries = 0; low - floor > 1000 && tries < 50; tries++) {
    const candidate = floor + Math.floor(Math.random() * (low - floor));
    if (handedOut.has(candidate)) continue;
    remember(candidate); // before the probe, so a concurrent call does not probe it too
    if ((await listenable(host, candidate)) !== undefined) return candidate;
    handedOut.delete(candidate);
  }
  for (let tries = 0; tries < 50; tries++) {
    const port = await listenable(host, 0);
    if (port === undefined || handedOut.has(port)) continue;
    remember(port);
    return port;
  }
  throw new Error(`cannot find a free port on ${host}`);
}

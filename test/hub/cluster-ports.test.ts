// The ports chosen for a hub started a moment later (a cluster's workers, a process or container target) lie outside
// the kernel's ephemeral range, where an outgoing connection elsewhere on the machine could take one as its local port
// in the seconds before the hub listens there, and no two callers get the same one.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { expect, test } from 'vitest';
import { freePort } from '../../hub/free-port.js';

test.skipIf(process.platform !== 'linux')('free ports for workers are below the ephemeral range, distinct and listenable', async () => {
  const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number];
  const ports = await Promise.all(Array.from({ length: 20 }, () => freePort('127.0.0.1')));
  for (const port of ports) expect(port, `port ${port}`).toBeLessThan(low);
  expect(new Set(ports).size, 'twenty ports asked for at once, no repeats').toBe(20);
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

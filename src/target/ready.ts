/** Waiting for a started hub: a matching output line and/or an open port, bounded in time, ended early if the hub exits. */
import net from 'node:net';
import type { ReadySpec } from './descriptor.js';
import type { OutputLines } from './output.js';

/** Resolves when every condition of `ready` holds; rejects with why not (timeout or exit) otherwise. */
export async function waitReady(o: { ready: ReadySpec; output: OutputLines; exited: Promise<string>; timeoutMs: number; host?: string }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let exitReason: string | undefined;
  void o.exited.then((r) => { exitReason = r; });
  const conditions: Promise<void>[] = [];
  if (o.ready.log !== undefined) {
    const re = new RegExp(o.ready.log);
    conditions.push(new Promise((resolve) => {
      if (o.output.tail().some((l) => re.test(l))) return resolve();
      o.output.watch((line) => { if (re.test(line)) resolve(); });
    }));
  }
  if (o.ready.port !== undefined) {
    const port = o.ready.port;
    conditions.push((async () => {
      // Bounded: one attempt per 100 ms until the deadline or the hub's exit.
      while (Date.now() < deadline && exitReason === undefined) {
        if (await portOpen(o.host ?? '127.0.0.1', port)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    })());
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready within ${o.timeoutMs} ms (waiting for ${describeReady(o.ready)})`)), o.timeoutMs);
  });
  const exit = o.exited.then((r) => { throw new Error(`it exited before it was ready: ${r}`); });
  try {
    await Promise.race([Promise.all(conditions), timeout, exit]);
  } finally {
    clearTimeout(timer);
  }
  if (exitReason !== undefined) throw new Error(`it exited before it was ready: ${exitReason}`);
}

export function describeReady(r: ReadySpec): string {
  return [r.log !== undefined ? `a line matching /${r.log}/` : '', r.port !== undefined ? `port ${r.port}` : ''].filter(Boolean).join(' and ');
}

export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

// The hub bench/abuse.ts measures, in a process of its own so its memory is the hub's alone: started with the faults
// in ABUSE_FAULTS (JSON), it reports its endpoints, then its RSS and open connections whenever asked over IPC.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startHub } from '../hub/index.js';

const faults = JSON.parse(process.env['ABUSE_FAULTS'] ?? '[]') as string[];
const hub = await startHub({ faults });
// The hub's own event-loop delay, so a slow canary can be told from a stalled hub (rather than a busy machine).
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();

type Request = { type: 'rss'; gc?: boolean } | { type: 'loop' } | { type: 'close' };

process.on('message', (m: Request) => {
  if (m.type === 'rss') {
    if (m.gc) (globalThis as { gc?: () => void }).gc?.();
    process.send!({ type: 'rss', rss: process.memoryUsage().rss, open: hub.openConnections });
  } else if (m.type === 'loop') {
    // since the last request, in ms
    process.send!({ type: 'loop', p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 });
    loop.reset();
  } else if (m.type === 'close') {
    void hub.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0)); // the bench is gone: so is its hub
process.send!({ type: 'ready', endpoints: hub.endpoints, credentials: hub.credentials, bounds: hub.bounds });

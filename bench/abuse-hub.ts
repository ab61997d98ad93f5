// The hub bench/abuse.ts measures, in a process of its own so its memory is the hub's alone: started with the faults
// in ABUSE_FAULTS (JSON), it reports its endpoints, then its RSS and open connections whenever asked over IPC.
import { startHub } from '../hub/index.js';

const faults = JSON.parse(process.env['ABUSE_FAULTS'] ?? '[]') as string[];
const hub = await startHub({ faults });

type Request = { type: 'rss'; gc?: boolean } | { type: 'close' };

process.on('message', (m: Request) => {
  if (m.type === 'rss') {
    if (m.gc) (globalThis as { gc?: () => void }).gc?.();
    process.send!({ type: 'rss', rss: process.memoryUsage().rss, open: hub.openConnections });
  } else if (m.type === 'close') {
    void hub.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0)); // the bench is gone: so is its hub
process.send!({ type: 'ready', endpoints: hub.endpoints, credentials: hub.credentials, bounds: hub.bounds });

// One worker of a hub cluster, forked by hub/cluster/primary.ts: the whole hub on the ports and registry file the
// primary chose, until the primary says stop. SIGINT (Ctrl-C reaches the whole process group) is left to the primary,
// which stops every worker in turn; SIGTERM sent to this worker alone stops it (and the primary starts a new one).

import { startHub } from '../index.js';
import { workerPlan, type WorkerReady } from './primary.js';

const plan = workerPlan(process.env);
if (!plan || !process.send) throw new Error('hub/cluster/worker.ts runs only as a worker forked by hub/cluster/primary.ts');
process.on('SIGINT', () => {});
const log = plan.verbose ? (line: string) => process.stderr.write(`[worker ${plan.index}] ${line}\n`) : undefined;
let hub;
try {
  // No CoAP in a cluster: its auth tokens and per-peer message ids live in one process, and UDP datagrams of one device
  // would reach whichever worker the kernel picks. A cluster declares coap and coap-dtls missing.
  hub = await startHub({ ...plan.options, ...plan.ports, coapPort: false, dataFile: plan.dataFile, cluster: { workerId: plan.workerId, direct: plan.direct }, ...(log ? { log } : {}) });
} catch (e) {
  process.send({ type: 'error', message: (e as Error).message });
  process.disconnect();
  process.exitCode = 1;
}
if (hub) {
  const ready: WorkerReady = { type: 'ready', endpoints: hub.endpoints, credentials: hub.credentials, tls: hub.tls, faults: hub.faults, firmwareBaseUrl: hub.firmwareBaseUrl };
  process.send(ready);
  await new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => m.type === 'stop' && resolve());
    process.once('disconnect', () => resolve()); // the primary is gone
    process.once('SIGTERM', () => resolve());
  });
  await hub.close();
  process.disconnect?.();
}

// kill -9 of one worker of a hub cluster in the middle of a QoS 1 run (the cluster form of durable-scenarios.ts).

import { expect } from 'vitest';
import { provision } from './helpers.js';
import { SessionClient } from './durable-process.js';
import type { ClusterChild } from './cluster-process.js';

/** Below the 150 QoS 1 messages a session holds (QOS-020), so every acknowledged PUBLISH is one the hub must keep. */
const RUN_MAX_MESSAGES = 140;
const RUN_MAX_MS = 20_000;
const RUN_WINDOW = 20;
/** The worker is killed once this many PUBLISHes are acknowledged, with RUN_WINDOW more in flight: a count, not a time, so a fast or a busy machine both kill mid-run. */
const KILL_AFTER_ACKS = 100;

/**
 * A device on worker `victim` publishes QoS 1 to its own topic, subscribed with CleanSession = 0, and acknowledges none
 * of the deliveries; the worker is killed with SIGKILL in the middle; a bystander on the other worker keeps its
 * connection. The device comes back through the other worker: every PUBLISH acknowledged before the kill is delivered
 * again there (its delivery before the kill was never acknowledged), so the session's messages outlived the worker.
 */
export async function ackedSurviveKillOfWorker(c: ClusterChild, victim: number): Promise<void> {
  const other = (victim + 1) % c.workers.length;
  const [d, bystander] = await provision(c.hub, ['runner', 'bystander']);
  const topic = `${d!.productId}/${d!.deviceName}/data`;
  const b = await SessionClient.open(c.workers[other]!.hub, bystander!, { autoAck: true });
  const s1 = await SessionClient.open(c.workers[victim]!.hub, d!, { autoAck: false });
  await s1.subscribe(topic, 1, 60_000);

  const began = Date.now();
  let killed: Promise<unknown> | undefined;
  let sent = 0;
  while (sent < RUN_MAX_MESSAGES && Date.now() - began < RUN_MAX_MS && !s1.closed) {
    while (sent < RUN_MAX_MESSAGES && sent - s1.acked.size < RUN_WINDOW) {
      sent++;
      s1.send({ cmd: 'publish', topic, payload: `m${sent}`, qos: 1, messageId: sent });
    }
    if (!killed && s1.acked.size >= KILL_AFTER_ACKS) killed = c.kill9Worker(victim);
    await s1.pump(() => s1.closed || sent - s1.acked.size < RUN_WINDOW, 200);
  }
  expect(s1.closed, 'the worker was killed before the run ended').toBe(true);
  const acknowledged = [...s1.acked].map((id) => `m${id}`);
  expect(acknowledged.length, 'PUBLISHes acknowledged before the kill').toBeGreaterThan(50);
  const before = s1.deliveries.map((m) => m.payload);

  const s2 = await SessionClient.open(c.workers[other]!.hub, d!, { autoAck: true });
  expect(s2.sessionPresent, 'the session outlives its worker').toBe(true);
  s2.send({ cmd: 'publish', topic, payload: 'barrier', qos: 1, messageId: 1 });
  expect(await s2.pump(() => s2.deliveries.some((m) => m.payload === 'barrier'), 10_000), 'the barrier published after the kill').toBe(true);
  const after = s2.deliveries.map((m) => m.payload).filter((p) => p !== 'barrier');
  const received = new Set(after);
  const lost = acknowledged.filter((p) => !received.has(p));
  console.log(`cluster: kill -9 of worker ${victim} after ${KILL_AFTER_ACKS} acknowledged: ${sent} sent, ${acknowledged.length} acknowledged, ${before.length} delivered (unacknowledged) before the kill, ${after.length} after, ${lost.length} lost`);
  expect(lost, 'acknowledged PUBLISHes not delivered again after the kill').toEqual([]);
  expect(b.closed, `the bystander on worker ${other} keeps its connection`).toBe(false);
  // the worker started in place of the killed one serves again
  await killed;
  const s3 = await SessionClient.open(c.workers[victim]!.hub, bystander!, { autoAck: true });
  expect(s3.sessionPresent, 'the bystander session, taken over through the new worker').toBe(true);
  await s3.disconnect();
  await s2.disconnect();
}

// Child side of the broker benchmarks: one measurement per process, the job read from a JSON file, the result printed as JSON.
// Flows (1 → 1, fan-in, fan-out) run closed-loop: at most `window` publishes not yet delivered everywhere, for `seconds`.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CloudApi } from '../src/client/cloud-api.js';
import { newHistogram, recordUs } from '../load/metrics/histogram.js';
import { RawClient, connectAll, type Login } from './raw-client.js';

export interface FlowJob {
  kind: 'flow';
  url: string;
  /** MQTT publishers, used in turn; or `broadcast` (the cloud API publishes to every online device of a product). */
  publishers: { login: Login; topic: string }[];
  broadcast?: { endpoint: string; secretId: string; secretKey: string; productId: string };
  /** A subscriber with the same clientId as a publisher shares its connection (self-subscribed). */
  subscribers: { login: Login; filter: string }[];
  qos: 0 | 1;
  /** Deliveries each publish makes (the subscribers it reaches). */
  copies: number;
  window: number;
  seconds: number;
  payloadBytes: number;
  /** Fixed publish rate (msg/s) instead of closed loop: the result is then latency percentiles. */
  rate?: number;
}

export interface ConnectJob { kind: 'connect'; url: string; logins: Login[]; concurrency: number }

export type Job = FlowJob | ConnectJob;
export interface Outcome { result: number; extra?: Record<string, number> }

async function flow(job: FlowJob): Promise<Outcome> {
  const byId = new Map<string, RawClient>();
  const logins = [...job.publishers.map((p) => p.login), ...job.subscribers.map((s) => s.login)].filter((l) => !byId.has(l.clientId) && byId.set(l.clientId, null as never));
  const clients = await connectAll(job.url, logins);
  logins.forEach((l, i) => byId.set(l.clientId, clients[i]!));
  let delivered = 0;
  const latency = newHistogram();
  const timed = job.rate !== undefined;
  const onMessage = (_topic: string, payload: Buffer) => {
    delivered++;
    if (timed) recordUs(latency, (performance.timeOrigin + performance.now() - Number(payload.toString('latin1', 5, 30).split(',')[0])) * 1000);
  };
  for (const s of job.subscribers) {
    const c = byId.get(s.login.clientId)!;
    c.onMessage = onMessage;
    await c.subscribe(s.filter, job.qos);
  }
  const pubs = job.publishers.map((p) => ({ client: byId.get(p.login.clientId)!, topic: p.topic }));
  const api = job.broadcast ? new CloudApi({ endpoint: job.broadcast.endpoint, secretId: job.broadcast.secretId, secretKey: job.broadcast.secretKey, region: 'ap-guangzhou' }) : undefined;
  const payloadOf = () => {
    // JSON, so a rule's SELECT reads it too: {"t":<sent ms>,"p":"xxx…"}
    const head = `{"t":${(performance.timeOrigin + performance.now()).toFixed(3)},"p":"`;
    return Buffer.from(head + 'x'.repeat(Math.max(0, job.payloadBytes - head.length - 2)) + '"}');
  };

  let sent = 0;
  let calling = false;
  const t0 = performance.now();
  const end = t0 + job.seconds * 1000;
  const publishOne = () => {
    if (api) {
      calling = true;
      api.call('PublishBroadcastMessage', { ProductId: job.broadcast!.productId, Payload: payloadOf().toString('latin1'), Qos: job.qos })
        .catch((e: Error) => process.stderr.write(`broadcast failed: ${e.message}\n`))
        .finally(() => { calling = false; pump(); });
    } else {
      const p = pubs[sent % pubs.length]!;
      p.client.publish(p.topic, payloadOf(), job.qos);
    }
    sent++;
  };
  // closed loop: keep `window` publishes undelivered; refilled as deliveries arrive (once per turn)
  let pumpScheduled = false;
  const pump = () => {
    pumpScheduled = false;
    while (!calling && performance.now() < end && sent - delivered / job.copies < job.window) publishOne();
  };
  let timer: NodeJS.Timeout | undefined;
  if (timed) {
    timer = setInterval(() => {
      const due = Math.min(Math.floor(((performance.now() - t0) / 1000) * job.rate!), job.rate! * job.seconds);
      while (sent < due) publishOne();
    }, 2);
  } else {
    const inner = onMessage;
    for (const s of job.subscribers) byId.get(s.login.clientId)!.onMessage = (t, p) => { inner(t, p); if (!pumpScheduled) { pumpScheduled = true; setImmediate(pump); } };
    pump();
  }
  await new Promise((r) => setTimeout(r, job.seconds * 1000));
  const deliveredInTime = delivered;
  const elapsed = (performance.now() - t0) / 1000;
  if (timer) clearInterval(timer);
  // bounded wait for the tail of a timed run, so its percentiles include every message
  const deadline = performance.now() + 3000;
  while (timed && delivered < sent * job.copies && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const c of clients) c.close();
  if (timed) {
    const ms = (p: number) => latency.getValueAtPercentile(p) / 1000;
    return { result: ms(50), extra: { p90: ms(90), p99: ms(99), p999: ms(99.9), max: latency.maxValue / 1000, lost: sent * job.copies - delivered, sent } };
  }
  return { result: deliveredInTime / elapsed, extra: { sent } };
}

async function connectRate(job: ConnectJob): Promise<Outcome> {
  const t0 = performance.now();
  const clients = await connectAll(job.url, job.logins, job.concurrency);
  const s = (performance.now() - t0) / 1000;
  for (const c of clients) c.close();
  return { result: job.logins.length / s };
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Job;
const out = job.kind === 'flow' ? await flow(job) : await connectRate(job);
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);

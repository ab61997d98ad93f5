// The canary bench/abuse.ts watches, in a process of its own so that its latency is the hub's and not the attacker's:
// a device publishing QoS 1 to its own topic 50 times a second, timing each message's round trip. Over IPC it is
// asked for the latencies gathered since the last request, and to stop.
import type { Socket } from 'node:net';
import mqtt from 'mqtt';

interface Start { url: string; topic: string; login: { clientId: string; username: string; password: string } }
type Request = { type: 'take' } | { type: 'stop' };

const PERIOD_MS = 20;

const { url, topic, login } = JSON.parse(process.env['CANARY'] ?? '{}') as Start;
const client = await mqtt.connectAsync(url, { ...login, reconnectPeriod: 0, keepalive: 60 });
// mqtt.js leaves Nagle's algorithm on: a PUBLISH written while the previous PUBACK is unacknowledged would wait for the
// hub's delayed ACK, adding ~20 ms of the client's own to every round trip once messages come faster than ~30 ms apart.
(client.stream as Socket).setNoDelay(true);
await client.subscribeAsync(topic, { qos: 1 });
const sent = new Map<string, bigint>();
let samples: number[] = [];
let lost = 0;
client.on('message', (_t, payload) => {
  const id = payload.toString();
  const at = sent.get(id);
  if (at === undefined) return;
  sent.delete(id);
  samples.push(Number(process.hrtime.bigint() - at) / 1e6);
});
let n = 0;
const timer = setInterval(() => {
  const id = String(n++);
  sent.set(id, process.hrtime.bigint());
  client.publish(topic, id, { qos: 1 });
}, PERIOD_MS);

process.on('message', (m: Request) => {
  if (m.type === 'take') {
    // a message older than 10 s that never came back is counted lost, not waited for
    const now = process.hrtime.bigint();
    for (const [id, at] of sent) if (now - at > 10_000_000_000n) { sent.delete(id); lost++; }
    process.send!({ type: 'samples', samples, lost });
    samples = [];
    lost = 0;
  } else if (m.type === 'stop') {
    clearInterval(timer);
    void client.endAsync(true).then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });

// Child side of the load benchmarks: one measurement per process (so RSS and CPU are the client's alone), result printed as JSON.
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { runEngine, wallMs } from '../load/fleet/engine.js';

type Mode = 'idle-lean' | 'idle-mqttjs' | 'pub-lean' | 'pub-mqttjs' | 'qos1-throughput';
const [mode, url, nText, extra, secondsText] = process.argv.slice(2) as [Mode, string, string, string | undefined, string | undefined];
const SECONDS = Number(secondsText ?? 4);
const n = Number(nText);
const u = new URL(url);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => { gc(); gc(); return process.memoryUsage().rss; };
const fakeDevices = (count: number) => Array.from({ length: count }, (_, i) => ({ productId: 'BENCHBENCH', deviceName: `d${i}`, psk: 'AAAAAAAAAAAAAAAAAAAAAA==' }));
const base = { host: u.hostname, port: Number(u.port), localAddresses: [] as string[], keepalive: 300, drain: 1, tickMs: 1000, connectRate: 5000, maxPending: 500 };

async function idleLean(): Promise<number> {
  const before = rss();
  let during = 0;
  const startAt = wallMs() + 100;
  const probe = setTimeout(() => { during = rss(); }, 100 + 4000);
  await runEngine({ ...base, workerId: 'b', devices: fakeDevices(n), startAt, stages: [{ duration: 2, target: n }, { duration: 3, target: n }] }, () => {});
  clearTimeout(probe);
  return (during - before) / n;
}

async function idleMqttjs(): Promise<number> {
  const before = rss();
  const clients: mqtt.MqttClient[] = [];
  for (let i = 0; i < n; i += 100) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => mqtt.connectAsync(url, { clientId: `m${i + k}`, username: 'u', password: 'p', keepalive: 300, reconnectPeriod: 0 })))));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const per = (rss() - before) / n;
  await Promise.all(clients.map((c) => c.endAsync(true)));
  return per;
}

/** CPU µs per QoS 1 publish (device → broker → same device, PUBACKs both ways) at a fixed total rate. */
async function pubLean(rate: number): Promise<number> {
  let sent = 0;
  const startAt = wallMs() + 100;
  let cpu0 = process.cpuUsage();
  setTimeout(() => { cpu0 = process.cpuUsage(); }, 100 + 2000);
  await runEngine({
    ...base, workerId: 'p', devices: fakeDevices(n), startAt, drain: 0.5,
    stages: [{ duration: 2, target: n }, { duration: SECONDS, target: n }],
    telemetry: { qos: 1, rate, payloadBytes: 256, startAfter: 2 },
  }, (m) => { if (m.type !== 'log' && m.type !== 'ready') sent += m.delta.counters['mqtt_messages_sent'] ?? 0; });
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / sent;
}

async function pubMqttjs(rate: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: n }, (_, i) => mqtt.connectAsync(url, { clientId: `p${i}`, username: 'u', password: 'p', keepalive: 300, reconnectPeriod: 0 })));
  await Promise.all(clients.map((c, i) => c.subscribeAsync(`BENCHBENCH/d${i}/data`, { qos: 1 })));
  const payload = Buffer.alloc(256, 120);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  const total = rate * SECONDS;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      for (; sent < due; sent++) clients[sent % n]!.publish(`BENCHBENCH/d${sent % n}/data`, payload, { qos: 1 });
      if (sent >= total) { clearInterval(timer); resolve(); }
    }, 2);
  });
  await new Promise((r) => setTimeout(r, 500));
  const c = process.cpuUsage(cpu0);
  await Promise.all(clients.map((cl) => cl.endAsync(true)));
  return (c.user + c.system) / sent;
}

/** Delivered QoS 1 messages per second, closed loop: each client keeps `window` publishes in flight to its own subscribed topic. */
async function qos1Throughput(logins: { clientId: string; username: string; password: string; topic: string }[]): Promise<number> {
  const clients = await Promise.all(logins.map((l) => mqtt.connectAsync(url, { clientId: l.clientId, username: l.username, password: l.password, keepalive: 300, reconnectPeriod: 0 })));
  await Promise.all(clients.map((c, i) => c.subscribeAsync(logins[i]!.topic, { qos: 1 })));
  const payload = Buffer.alloc(128, 120);
  let delivered = 0;
  const seconds = 4;
  const end = performance.now() + seconds * 1000;
  await Promise.all(clients.map(async (c, i) => {
    c.on('message', () => { delivered++; });
    const window = 10;
    const loop = async () => { while (performance.now() < end) await c.publishAsync(logins[i]!.topic, payload, { qos: 1 }); };
    await Promise.all(Array.from({ length: window }, loop));
  }));
  await Promise.all(clients.map((c) => c.endAsync(true)));
  return delivered / seconds;
}

const rate = Number(extra ?? 4000);
const result = mode === 'idle-lean' ? await idleLean()
  : mode === 'idle-mqttjs' ? await idleMqttjs()
  : mode === 'pub-lean' ? await pubLean(rate)
  : mode === 'pub-mqttjs' ? await pubMqttjs(rate)
  : await qos1Throughput(JSON.parse(extra!));
process.stdout.write(JSON.stringify({ result }) + '\n');
process.exit(0);

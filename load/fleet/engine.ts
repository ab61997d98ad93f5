/** The fleet engine of one thread: many lean device sessions on raw sockets, ramped by stages, driving a scenario's traffic and counting what happened. */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { deviceLogin } from '../../src/protocol/credentials.js';
import { Collector, type MetricsDelta } from '../metrics/collector.js';
import { COUNTERS, TRENDS, labelled } from '../metrics/names.js';
import type { Stage } from '../scenarios/types.js';
import type { DeviceCred } from './credentials.js';
import { DISCONNECT, PINGREQ, connectPacket, publishFrame, publishPacket, pubackPacket, splitFrames, subscribePacket, type Incoming } from './frames.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** What one engine runs: its share of the fleet and of every rate. Plain data (crosses thread and process boundaries). */
export interface EnginePlan {
  workerId: string;
  host: string;
  port: number;
  /** Source addresses to spread connections over (each has its own ephemeral port range). */
  localAddresses: string[];
  devices: DeviceCred[];
  /** Wall-clock ms at which t=0 of the stages is. */
  startAt: number;
  stages: Stage[];
  connectRate: number;
  maxPending: number;
  keepalive: number;
  telemetry?: { qos: 0 | 1; rate: number; payloadBytes: number; startAfter: number };
  shadow?: { rate: number; startAfter: number };
  /** Subscribe to `${pid}/${dn}/control` (cloud-to-device fan-out). */
  c2d?: { qos: 0 | 1 };
  /** Answer RRPC requests on $rrpc/rxd. */
  rrpc?: boolean;
  drain: number;
  tickMs: number;
}

export type EngineMessage =
  | { type: 'ready'; workerId: string }
  | { type: 'tick'; workerId: string; delta: MetricsDelta }
  | { type: 'done'; workerId: string; delta: MetricsDelta }
  | { type: 'log'; workerId: string; text: string };

const CONNECT_TIMEOUT_MS = 10_000;
/** A socket with more than this queued is behind: the slot is counted missed instead of queueing more. */
const MAX_QUEUED_BYTES = 256 * 1024;
/** Extra seconds past the plan before the engine stops no matter what (every loop is bounded in time). */
const HARD_STOP_GRACE_S = 15;

const enum State { Idle, Connecting, Subscribing, Ready, Closed }

const SESSION = Symbol('session');
type SessionSocket = net.Socket & { [SESSION]: Session };

/** One device session: deliberately small (no parser, no timers, no per-session maps). */
class Session {
  socket: net.Socket | null = null;
  state = State.Idle;
  tail: Buffer | null = null;
  nextId = 1;
  startedAt = 0;
  lastSend = 0;
  failed = false;
  constructor(readonly idx: number) {}
  id(): number {
    const id = this.nextId;
    this.nextId = id >= 65535 ? 1 : id + 1;
    return id;
  }
}

/** The target session count at t seconds: linear within each stage, starting from 0. */
export function targetAt(stages: readonly Stage[], t: number): number {
  let from = 0;
  let start = 0;
  for (const st of stages) {
    if (t < start + st.duration) return Math.round(from + ((st.target - from) * (t - start)) / st.duration);
    from = st.target;
    start += st.duration;
  }
  return from;
}

export async function runEngine(plan: EnginePlan, emit: (m: EngineMessage) => void, abort?: AbortSignal): Promise<void> {
  const m = new Collector();
  const sessions = plan.devices.map((_, i) => new Session(i));
  const ready: Session[] = [];
  let pending = 0;
  let connected = 0;
  let nextToOpen = 0; // sessions below this index have been started (ramp-up opens in order)
  const total = plan.stages.reduce((t, s) => t + s.duration, 0);
  const endTraffic = plan.startAt + total * 1000;
  const hardStop = endTraffic + (plan.drain + HARD_STOP_GRACE_S) * 1000;
  /** QoS 1 telemetry in flight: key idx*1e7+seq → 1; deleted on first delivery. */
  const outstanding = new Map<number, 1>();
  const shadowPending = new Map<string, number>();
  let seq = 0;
  let localPick = 0;
  let stopping = false;
  /** Topic strings of telemetry senders, made once per device. */
  const dataTopics: string[] = [];

  const topicOf = (s: Session, suffix: string) => `${plan.devices[s.idx]!.productId}/${plan.devices[s.idx]!.deviceName}/${suffix}`;

  function send(s: Session, buf: Buffer): void {
    s.lastSend = wallMs();
    s.socket!.write(buf);
  }

  function subscriptions(s: Session): { topic: string; qos: 0 | 1 }[] {
    const d = plan.devices[s.idx]!;
    const subs: { topic: string; qos: 0 | 1 }[] = [];
    if (plan.telemetry) subs.push({ topic: topicOf(s, 'data'), qos: plan.telemetry.qos });
    if (plan.c2d) subs.push({ topic: topicOf(s, 'control'), qos: plan.c2d.qos });
    if (plan.shadow) subs.push({ topic: `$shadow/operation/result/${d.productId}/${d.deviceName}`, qos: 0 });
    if (plan.rrpc) subs.push({ topic: `$rrpc/rxd/${d.productId}/${d.deviceName}/+`, qos: 0 });
    return subs;
  }

  function markReady(s: Session): void {
    s.state = State.Ready;
    ready.push(s);
  }

  function close(s: Session, why: 'planned' | 'error' | 'refused'): void {
    if (s.state === State.Closed || s.state === State.Idle) return;
    if (s.state === State.Connecting) pending--;
    else connected--;
    if (s.state === State.Ready) {
      const i = ready.indexOf(s);
      if (i >= 0) ready.splice(i, 1);
    }
    if (why !== 'planned') s.failed = true;
    if (why === 'error' && s.state !== State.Connecting) m.add(COUNTERS.disconnects);
    s.state = State.Closed;
    const sock = s.socket;
    s.socket = null;
    s.tail = null;
    if (sock && !sock.destroyed) {
      if (why === 'planned') sock.end(DISCONNECT);
      sock.destroy();
    }
  }

  function onPacket(s: Session, p: Incoming): void {
    switch (p.type) {
      case 'connack': {
        if (s.state !== State.Connecting) return;
        pending--;
        if (p.returnCode !== 0) {
          m.add(COUNTERS.connectRefused);
          m.add(labelled(COUNTERS.connectRefused, { code: p.returnCode }));
          s.state = State.Subscribing; // so close() does not decrement pending again
          connected++;
          close(s, 'refused');
          return;
        }
        connected++;
        m.add(COUNTERS.connects);
        m.recordUs(TRENDS.connectDuration, (wallMs() - s.startedAt) * 1000);
        const subs = subscriptions(s);
        if (subs.length) {
          s.state = State.Subscribing;
          send(s, subscribePacket(s.id(), subs));
        } else markReady(s);
        return;
      }
      case 'suback':
        if (s.state !== State.Subscribing) return;
        if (p.granted.some((g) => g === 0x80)) m.add('mqtt_subscribe_refused');
        markReady(s);
        return;
      case 'puback':
        m.add(COUNTERS.qos1Acked);
        return;
      case 'publish':
        if (p.qos === 1) send(s, pubackPacket(p.messageId));
        onPublish(s, p.topic, p.payload);
        return;
      default:
        return;
    }
  }

  function onPublish(s: Session, topic: string, payload: Buffer): void {
    m.add(COUNTERS.received);
    const now = wallMs();
    if (topic.endsWith('/data') && plan.telemetry) {
      const [seqText, sentText] = payload.toString('latin1', 0, 40).split(',');
      const key = s.idx * 1e7 + Number(seqText);
      if (plan.telemetry.qos === 1) {
        if (outstanding.delete(key)) m.recordUs(TRENDS.deliveryLatency(1), (now - Number(sentText)) * 1000);
        else m.add(COUNTERS.qos1Duplicates);
      } else m.recordUs(TRENDS.deliveryLatency(0), (now - Number(sentText)) * 1000);
    } else if (topic.endsWith('/control') && plan.c2d) {
      const [, sentText] = payload.toString('latin1', 0, 48).split(',');
      m.add('c2d_received');
      if (sentText) m.recordUs(TRENDS.c2dLatency, (now - Number(sentText)) * 1000);
    } else if (topic.startsWith('$shadow/operation/result/')) {
      let token = '';
      let result = 0;
      try {
        const body = JSON.parse(payload.toString('utf8')) as { clientToken?: string; result?: number; payload?: { clientToken?: string } };
        token = body.clientToken ?? body.payload?.clientToken ?? '';
        result = body.result ?? 0;
      } catch { /* counted below as unmatched */ }
      const sent = shadowPending.get(token);
      if (sent === undefined) { m.add('shadow_unmatched'); return; }
      shadowPending.delete(token);
      if (result !== 0) m.add(COUNTERS.requestFailures);
      m.recordUs(TRENDS.shadowDuration, (now - sent) * 1000);
    } else if (topic.startsWith('$rrpc/rxd/') && plan.rrpc) {
      // $rrpc/rxd/{pid}/{dn}/{processId} → answer on $rrpc/txd/{pid}/{dn}/{processId} with the same payload.
      const processId = topic.slice(topic.lastIndexOf('/') + 1);
      const d = plan.devices[s.idx]!;
      send(s, publishPacket(`$rrpc/txd/${d.productId}/${d.deviceName}/${processId}`, payload, 0, 0));
    }
  }

  function open(s: Session): void {
    const d = plan.devices[s.idx]!;
    s.state = State.Connecting;
    s.startedAt = wallMs();
    pending++;
    m.add(COUNTERS.connectAttempts);
    const localAddress = plan.localAddresses.length ? plan.localAddresses[localPick++ % plan.localAddresses.length] : undefined;
    const sock = net.connect({ host: plan.host, port: plan.port, ...(localAddress ? { localAddress } : {}) }) as SessionSocket;
    s.socket = sock;
    sock[SESSION] = s;
    sock.setNoDelay(true);
    // Shared handlers (the session hangs off the socket): no closures per session, which matters at 20k sessions a process.
    sock.on('connect', onSocketConnect);
    sock.on('data', onSocketData);
    sock.on('error', onSocketError);
    sock.on('close', onSocketClose);
  }

  function onSocketConnect(this: SessionSocket): void {
    const s = this[SESSION];
    const login = deviceLogin(plan.devices[s.idx]!, { expiry: Math.floor(Date.now() / 1000) + 86_400 });
    send(s, connectPacket(login.clientId, login.username, login.password, plan.keepalive));
  }

  function onSocketData(this: SessionSocket, chunk: Buffer): void {
    const s = this[SESSION];
    if (s.socket !== this) return;
    const buf = s.tail ? Buffer.concat([s.tail, chunk]) : chunk;
    try {
      s.tail = splitFrames(buf, (p) => onPacket(s, p));
    } catch (e) {
      emitLog(`device ${s.idx}: ${(e as Error).message}`);
      close(s, 'error');
    }
  }

  function onSocketError(this: SessionSocket, e: NodeJS.ErrnoException): void {
    const s = this[SESSION];
    if (s.socket !== this) return;
    if (s.state === State.Connecting) {
      m.add(COUNTERS.connectErrors);
      m.add(labelled(COUNTERS.connectErrors, { error: e.code ?? 'error' }));
    }
    close(s, 'error');
  }

  function onSocketClose(this: SessionSocket): void {
    const s = this[SESSION];
    if (s.socket !== this) return;
    if (s.state === State.Connecting) m.add(COUNTERS.connectErrors);
    if (s.state !== State.Closed && s.state !== State.Idle) close(s, stopping ? 'planned' : 'error');
  }

  function emitLog(text: string): void {
    emit({ type: 'log', workerId: plan.workerId, text });
  }

  // ---- traffic: open model, slots on a fixed schedule; latency counts from the slot's intended time
  function slots(rate: number, startAfter: number) {
    const start = plan.startAt + startAfter * 1000;
    const interval = 1000 / rate;
    const maxBurst = Math.max(1, Math.ceil(rate * 0.25));
    let done = 0;
    let rr = 0;
    return (now: number, fire: (s: Session, intended: number) => void): void => {
      if (now < start) return;
      const until = Math.min(now, endTraffic);
      const due = Math.floor((until - start) / interval) + 1 - done;
      if (due <= 0) return;
      if (due > maxBurst) { // the generator fell behind: skip, and count, rather than burst
        m.add(COUNTERS.slotsMissed, due - maxBurst);
        done += due - maxBurst;
      }
      const last = done + Math.min(due, maxBurst);
      for (; done < last; done++) {
        const intended = start + done * interval;
        if (intended >= endTraffic) break;
        if (!ready.length) { m.add(COUNTERS.slotsMissed); continue; }
        const s = ready[rr++ % ready.length]!;
        if (s.socket!.writableLength > MAX_QUEUED_BYTES) { m.add(COUNTERS.slotsMissed); continue; }
        fire(s, intended);
      }
    };
  }

  const telemetrySlots = plan.telemetry && slots(plan.telemetry.rate, plan.telemetry.startAfter);
  const shadowSlots = plan.shadow && slots(plan.shadow.rate, plan.shadow.startAfter);

  function sendTelemetry(s: Session, intended: number): void {
    const t = plan.telemetry!;
    const n = seq++;
    const head = `${n},${intended.toFixed(3)},`;
    if (t.qos === 1) outstanding.set(s.idx * 1e7 + n, 1);
    m.add(COUNTERS.sent);
    send(s, publishFrame(dataTopics[s.idx] ??= topicOf(s, 'data'), t.qos, t.qos ? s.id() : 0, head, t.payloadBytes));
  }

  function sendShadow(s: Session, intended: number): void {
    const d = plan.devices[s.idx]!;
    const token = `${plan.workerId}-${seq++}`;
    shadowPending.set(token, intended);
    m.add(COUNTERS.requests);
    m.add(COUNTERS.sent);
    const body = JSON.stringify({ type: 'update', state: { reported: { n: seq } }, clientToken: token });
    send(s, publishPacket(`$shadow/operation/${d.productId}/${d.deviceName}`, body, 0, 0));
  }

  // ---- the main loop: ramp, keepalive, timeouts, traffic; bounded by hardStop
  return new Promise<void>((resolve) => {
    let lastTick = wallMs();
    let trafficTimer: NodeJS.Timeout | undefined;
    let drainStarted = 0;

    const finish = () => {
      clearInterval(ctlTimer);
      if (trafficTimer) clearInterval(trafficTimer);
      stopping = true;
      if (plan.telemetry?.qos === 1) m.add(COUNTERS.qos1Lost, outstanding.size);
      if (shadowPending.size) m.add(COUNTERS.requestFailures, shadowPending.size);
      for (const s of sessions) close(s, 'planned');
      m.gauges['sessions'] = 0;
      m.gauges['pending'] = 0;
      emit({ type: 'done', workerId: plan.workerId, delta: m.drain() });
      resolve();
    };

    const control = () => {
      const now = wallMs();
      if (abort?.aborted || now > hardStop) { emitLog(abort?.aborted ? 'aborted' : 'hard stop reached'); finish(); return; }
      const t = (now - plan.startAt) / 1000;
      if (now >= endTraffic) {
        // Drain: wait for in-flight messages (bounded by plan.drain), then close everything.
        drainStarted ||= now;
        // Cloud-driven traffic (c2d, RRPC) is not tracked here: give its last messages a second to land.
        const cloudGrace = plan.c2d || plan.rrpc ? Math.min(plan.drain, 1) * 1000 : 0;
        const idle = outstanding.size === 0 && shadowPending.size === 0 && now - drainStarted >= cloudGrace;
        if (idle || now - drainStarted >= plan.drain * 1000) { finish(); return; }
      } else if (t >= 0) {
        const target = targetAt(plan.stages, t);
        // Ramp up: within the connect-rate budget of this tick and the pending-CONNACK cap.
        const budget = Math.max(1, Math.floor((plan.connectRate * (now - lastTick)) / 1000));
        let opened = 0;
        while (nextToOpen < sessions.length && connected + pending < target && opened < budget && pending < plan.maxPending) {
          const s = sessions[nextToOpen++]!;
          if (!s.failed) { open(s); opened++; }
        }
        // Ramp down: close the most recently opened sessions.
        while (connected + pending > target && nextToOpen > 0) {
          const s = sessions[--nextToOpen]!;
          close(s, 'planned');
          s.state = State.Idle;
        }
      }
      // Connect timeouts and keepalive pings.
      const pingAfter = plan.keepalive > 0 ? plan.keepalive * 500 : Infinity;
      for (let i = 0; i < nextToOpen; i++) {
        const s = sessions[i]!;
        if (s.state === State.Connecting && now - s.startedAt > CONNECT_TIMEOUT_MS) {
          m.add(COUNTERS.connectErrors);
          m.add(labelled(COUNTERS.connectErrors, { error: 'timeout' }));
          close(s, 'error');
        } else if ((s.state === State.Ready || s.state === State.Subscribing) && now - s.lastSend > pingAfter) send(s, PINGREQ);
      }
      lastTick = now;
      m.gauges['sessions'] = connected;
      m.gauges['pending'] = pending;
    };

    const ctlTimer = setInterval(control, 50);
    let lastEmit = wallMs();
    const emitter = () => {
      const now = wallMs();
      if (now - lastEmit >= plan.tickMs) {
        lastEmit = now;
        emit({ type: 'tick', workerId: plan.workerId, delta: m.drain() });
      }
    };
    if (telemetrySlots || shadowSlots) {
      trafficTimer = setInterval(() => {
        const now = wallMs();
        telemetrySlots?.(now, sendTelemetry);
        shadowSlots?.(now, sendShadow);
        emitter();
      }, 2);
    } else {
      trafficTimer = setInterval(emitter, 100);
    }
    control();
  });
}

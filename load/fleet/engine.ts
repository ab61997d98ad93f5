/** The fleet engine of one thread: many lean device sessions on raw sockets, ramped by stages, driving a scenario's traffic and counting what happened. */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { deviceLogin } from '../../src/protocol/credentials.js';
import { Collector, type MetricsDelta } from '../metrics/collector.js';
import { COUNTERS, TRENDS, labelled } from '../metrics/names.js';
import type { Scenario, Stage } from '../scenarios/types.js';
import type { DeviceCred } from './credentials.js';
import { DISCONNECT, PINGREQ, connectPacket, decodeFrame, head, headLength, parseHead, patchPublish, publishFrame, publishPacket, publishTemplate, cloneTemplate, subscribePacket, type Incoming, type PublishTemplate } from './frames.js';

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
  /** Cycle identities instead of holding sessions (load/fleet/cycle.ts runs the plan). */
  cycle?: NonNullable<Scenario['cycle']>;
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
/**
 * PUBACKs for deliveries wait for the session's next write (usually its next PUBLISH) for at most this long, or until
 * ACK_BATCH of them are pending: one TCP segment instead of two per publish-and-receive. The loopback write is most of
 * a message's client CPU (the kernel runs the receiver's TCP input in the writer's context).
 */
const ACK_DELAY_MS = 50;
const ACK_BATCH = 32;
/** The one timer of the engine ticks this often: traffic slots, PUBACK flushes, metric ticks; control every CONTROL_MS. */
const TICK_MS = 2;
const CONTROL_MS = 50;
/** Keepalive and connect timeouts are checked a slice of sessions per control tick, every session once per WHEEL_SLICES ticks. */
const WHEEL_SLICES = 20;
/** QoS 1 telemetry in flight is one byte per sequence number in a ring this long (sequence numbers are per engine). */
const RING = 1 << 20;
/** Reads of every session land in one buffer (net.connect's onread): no Buffer per read, no stream buffering. */
const READ_BUFFER_BYTES = 64 * 1024;

const enum State { Idle, Connecting, Subscribing, Ready, Closed }

/** A socket that knows its session from construction (a property added later would grow every socket's shape). */
class SessionSocket extends net.Socket {
  constructor(readonly session: Session, options: net.SocketConstructorOpts) {
    super(options);
  }
}

/** One device session: deliberately small (no parser, no timers, no per-session maps); traffic buffers only once it sends. */
class Session {
  socket: net.Socket | null = null;
  state = State.Idle;
  tail: Buffer | null = null;
  nextId = 1;
  startedAt = 0;
  lastSend = 0;
  failed = false;
  /** Index in `ready` (swap-remove), or -1. */
  readyAt = -1;
  /** The telemetry PUBLISH, patched per message. */
  tpl: PublishTemplate | null = null;
  /** Pending PUBACKs: 4 bytes each. */
  acks: Buffer | null = null;
  ackLen = 0;
  ackSince = 0;
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
  const qos1 = plan.telemetry?.qos === 1;
  /** QoS 1 telemetry in flight: ring[seq % RING] = 1 until its first delivery. */
  const ring = qos1 ? new Uint8Array(RING) : null;
  let outstanding = 0;
  let ringLost = 0;
  const shadowPending = new Map<string, number>();
  let seq = 0;
  let localPick = 0;
  let stopping = false;
  const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  // Hot counters as integers, folded into the collector before each drain.
  let nSent = 0;
  let nReceived = 0;
  let nAcked = 0;
  let nDuplicates = 0;
  const latency = plan.telemetry ? m.recorder(TRENDS.deliveryLatency(plan.telemetry.qos)) : null;
  /** Sessions with PUBACKs waiting. */
  const ackWaiting: Session[] = [];

  const topicOf = (s: Session, suffix: string) => `${plan.devices[s.idx]!.productId}/${plan.devices[s.idx]!.deviceName}/${suffix}`;

  function foldCounters(): void {
    if (nSent) m.add(COUNTERS.sent, nSent);
    if (nReceived) m.add(COUNTERS.received, nReceived);
    if (nAcked) m.add(COUNTERS.qos1Acked, nAcked);
    if (nDuplicates) m.add(COUNTERS.qos1Duplicates, nDuplicates);
    nSent = nReceived = nAcked = nDuplicates = 0;
  }

  /** Writes `buf` with any pending PUBACKs in front, as one write. */
  function send(s: Session, buf: Buffer): void {
    s.lastSend = wallMs();
    const sock = s.socket!;
    if (s.ackLen) {
      sock.write(Buffer.concat([s.acks!.subarray(0, s.ackLen), buf]));
      ackSent(s);
    } else sock.write(buf);
  }

  function ackSent(s: Session): void {
    s.ackLen = 0;
    // the socket still holds the buffer when the write did not complete at once: take a fresh one next time
    if (s.socket && s.socket.writableLength > 0) s.acks = null;
  }

  function flushAcks(s: Session): void {
    if (!s.ackLen || !s.socket) { s.ackLen = 0; return; }
    s.lastSend = wallMs();
    s.socket.write(s.acks!.subarray(0, s.ackLen));
    ackSent(s);
  }

  function queueAck(s: Session, messageId: number): void {
    if (!s.acks) s.acks = Buffer.allocUnsafe(ACK_BATCH * 4);
    if (s.ackLen === 0) { s.ackSince = wallMs(); ackWaiting.push(s); }
    const b = s.acks;
    const o = s.ackLen;
    b[o] = 0x40; b[o + 1] = 2; b[o + 2] = messageId >> 8; b[o + 3] = messageId & 0xff;
    s.ackLen = o + 4;
    if (s.ackLen >= ACK_BATCH * 4) flushAcks(s);
  }

  /** PUBACKs that waited long enough go out on their own (sessions that received but did not send). */
  function flushDueAcks(now: number, all: boolean): void {
    let keep = 0;
    for (let i = 0; i < ackWaiting.length; i++) {
      const s = ackWaiting[i]!;
      if (!s.ackLen) continue;
      if (all || now - s.ackSince >= ACK_DELAY_MS) flushAcks(s);
      else ackWaiting[keep++] = s;
    }
    ackWaiting.length = keep;
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
    s.readyAt = ready.length;
    ready.push(s);
  }

  function close(s: Session, why: 'planned' | 'error' | 'refused'): void {
    if (s.state === State.Closed || s.state === State.Idle) return;
    if (s.state === State.Connecting) pending--;
    else connected--;
    if (s.readyAt >= 0) {
      const last = ready.pop()!;
      if (last !== s) { ready[s.readyAt] = last; last.readyAt = s.readyAt; }
      s.readyAt = -1;
    }
    if (why === 'planned') flushAcks(s);
    if (why !== 'planned') s.failed = true;
    if (why === 'error' && s.state !== State.Connecting) m.add(COUNTERS.disconnects);
    s.state = State.Closed;
    const sock = s.socket;
    s.socket = null;
    s.tail = null;
    s.tpl = null;
    s.acks = null;
    s.ackLen = 0;
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
      case 'publish':
        if (p.qos === 1) queueAck(s, p.messageId);
        onColdPublish(s, p.topic, p.payload);
        return;
      default:
        return;
    }
  }

  /** Telemetry coming back (the hot path): read straight from the bytes, no strings. */
  function onTelemetry(buf: Buffer, from: number, to: number): void {
    nReceived++;
    parseHead(buf, from, to);
    if (qos1) {
      const k = head.seq % RING;
      if (head.seq >= 0 && ring![k] === 1) {
        ring![k] = 0;
        outstanding--;
        latency!.record((wallMs() - head.ms) * 1000);
      } else nDuplicates++;
    } else if (head.seq >= 0) latency!.record((wallMs() - head.ms) * 1000);
  }

  function onColdPublish(s: Session, topic: string, payload: Buffer): void {
    m.add(COUNTERS.received);
    const now = wallMs();
    if (topic.endsWith('/control') && plan.c2d) {
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

  /**
   * Parses whole packets in buf[0, len): PUBACKs and telemetry PUBLISHes inline, anything else through decodeFrame.
   * Returns the offset of the first incomplete packet.
   */
  function parse(s: Session, buf: Buffer, len: number): number {
    let off = 0;
    while (len - off >= 2) {
      let rem = 0;
      let mul = 1;
      let i = off + 1;
      let complete = false;
      for (let n = 0; n < 4 && i < len; n++) {
        const b = buf[i++]!;
        rem += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) { complete = true; break; }
        if (n === 3) throw new Error('malformed remaining length');
      }
      if (!complete || len - i < rem) break;
      const first = buf[off]!;
      const end = i + rem;
      const type = first >> 4;
      if (type === 4) nAcked++;
      else if (type === 3 && plan.telemetry && rem >= 2) {
        const qos = (first >> 1) & 3;
        const tEnd = i + 2 + ((buf[i]! << 8) | buf[i + 1]!);
        let p = tEnd;
        if (qos > 0) { queueAck(s, (buf[p]! << 8) | buf[p + 1]!); p += 2; }
        // ".../data" is telemetry; anything else takes the general path
        if (tEnd - i >= 7 && buf[tEnd - 5] === 47 && buf[tEnd - 4] === 100 && buf[tEnd - 3] === 97 && buf[tEnd - 2] === 116 && buf[tEnd - 1] === 97) onTelemetry(buf, p, end);
        else {
          const pkt = decodeFrame(first, buf.subarray(i, end));
          if (pkt.type === 'publish') onColdPublish(s, pkt.topic, Buffer.from(pkt.payload));
        }
      } else {
        const pkt = decodeFrame(first, buf.subarray(i, end));
        if (pkt.type === 'publish') pkt.payload = Buffer.from(pkt.payload); // the read buffer is reused
        onPacket(s, pkt);
      }
      if (s.socket === null) return len; // closed while handling
      off = end;
    }
    return off;
  }

  function open(s: Session): void {
    s.state = State.Connecting;
    s.startedAt = wallMs();
    pending++;
    m.add(COUNTERS.connectAttempts);
    const localAddress = plan.localAddresses.length ? plan.localAddresses[localPick++ % plan.localAddresses.length] : undefined;
    const sock = new SessionSocket(s, { onread: { buffer: readBuffer, callback: onSocketRead } } as net.SocketConstructorOpts);
    s.socket = sock;
    sock.setNoDelay(true);
    // Shared handlers (the session hangs off the socket): no closures per session, which matters at 20k sessions a process.
    sock.once('connect', onSocketConnect);
    sock.on('error', onSocketError);
    sock.on('close', onSocketClose);
    sock.connect({ host: plan.host, port: plan.port, ...(localAddress ? { localAddress } : {}) });
  }

  function onSocketConnect(this: SessionSocket): void {
    const s = this.session;
    const login = deviceLogin(plan.devices[s.idx]!, { expiry: Math.floor(Date.now() / 1000) + 86_400 });
    send(s, connectPacket(login.clientId, login.username, login.password, plan.keepalive));
  }

  function onSocketRead(this: SessionSocket, nread: number, chunk: Buffer): boolean {
    const s = this.session;
    if (s.socket !== this) return true;
    try {
      if (s.tail) {
        const all = Buffer.concat([s.tail, chunk.subarray(0, nread)]);
        const used = parse(s, all, all.length);
        s.tail = s.socket && used < all.length ? all.subarray(used) : null;
      } else {
        const used = parse(s, chunk, nread);
        s.tail = s.socket && used < nread ? Buffer.from(chunk.subarray(used, nread)) : null; // copy: the read buffer is shared
      }
    } catch (e) {
      emitLog(`device ${s.idx}: ${(e as Error).message}`);
      close(s, 'error');
    }
    return true;
  }

  function onSocketError(this: SessionSocket, e: NodeJS.ErrnoException): void {
    const s = this.session;
    if (s.socket !== this) return;
    if (s.state === State.Connecting) {
      m.add(COUNTERS.connectErrors);
      m.add(labelled(COUNTERS.connectErrors, { error: e.code ?? 'error' }));
    }
    close(s, 'error');
  }

  function onSocketClose(this: SessionSocket): void {
    const s = this.session;
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
    if (ring) {
      const k = n % RING;
      if (ring[k] === 1) ringLost++; // still undelivered a whole ring later: lost
      else outstanding++;
      ring[k] = 1;
    }
    nSent++;
    const id = t.qos ? s.id() : 0;
    if (headLength(n, intended) > t.payloadBytes) { // tiny payloads: the head does not fit the template
      send(s, publishFrame(topicOf(s, 'data'), t.qos, id, `${n},${intended.toFixed(3)},`, t.payloadBytes));
      return;
    }
    let tpl = s.tpl;
    if (!tpl) tpl = s.tpl = publishTemplate(topicOf(s, 'data'), t.qos, t.payloadBytes, ACK_BATCH * 4);
    patchPublish(tpl, id, n, intended);
    const sock = s.socket!;
    s.lastSend = wallMs();
    if (s.ackLen) {
      // the PUBACKs pending for this session go just in front of the PUBLISH: one write
      const at = tpl.headroom - s.ackLen;
      s.acks!.copy(tpl.buf, at, 0, s.ackLen);
      sock.write(tpl.buf.subarray(at));
      s.ackLen = 0;
    } else sock.write(tpl.frame);
    // the socket still holds the template when the write did not complete at once: patch a copy next time
    if (sock.writableLength > 0) s.tpl = cloneTemplate(tpl);
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

  // ---- the main loop: one timer for ramp, keepalive, timeouts, traffic and PUBACKs; bounded by hardStop
  return new Promise<void>((resolve) => {
    let lastTick = wallMs();
    let lastControl = 0;
    let wheel = 0;
    let drainStarted = 0;
    let lastEmit = wallMs();

    const finish = () => {
      clearInterval(timer);
      stopping = true;
      foldCounters();
      if (qos1) m.add(COUNTERS.qos1Lost, outstanding + ringLost);
      if (shadowPending.size) m.add(COUNTERS.requestFailures, shadowPending.size);
      for (const s of sessions) close(s, 'planned');
      m.gauges['sessions'] = 0;
      m.gauges['pending'] = 0;
      emit({ type: 'done', workerId: plan.workerId, delta: m.drain() });
      resolve();
    };

    const control = (now: number): boolean => {
      if (abort?.aborted || now > hardStop) { emitLog(abort?.aborted ? 'aborted' : 'hard stop reached'); finish(); return false; }
      const t = (now - plan.startAt) / 1000;
      if (now >= endTraffic) {
        // Drain: wait for in-flight messages (bounded by plan.drain), then close everything.
        drainStarted ||= now;
        // Cloud-driven traffic (c2d, RRPC) is not tracked here: give its last messages a second to land.
        const cloudGrace = plan.c2d || plan.rrpc ? Math.min(plan.drain, 1) * 1000 : 0;
        const idle = outstanding === 0 && shadowPending.size === 0 && now - drainStarted >= cloudGrace;
        if (idle || now - drainStarted >= plan.drain * 1000) { finish(); return false; }
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
      // Connect timeouts and keepalive pings: one slice of the wheel per tick (every session once a second).
      const pingAfter = plan.keepalive > 0 ? plan.keepalive * 500 : Infinity;
      for (let i = wheel; i < nextToOpen; i += WHEEL_SLICES) {
        const s = sessions[i]!;
        if (s.state === State.Connecting && now - s.startedAt > CONNECT_TIMEOUT_MS) {
          m.add(COUNTERS.connectErrors);
          m.add(labelled(COUNTERS.connectErrors, { error: 'timeout' }));
          close(s, 'error');
        } else if ((s.state === State.Ready || s.state === State.Subscribing) && now - s.lastSend > pingAfter) send(s, PINGREQ);
      }
      wheel = (wheel + 1) % WHEEL_SLICES;
      lastTick = now;
      m.gauges['sessions'] = connected;
      m.gauges['pending'] = pending;
      return true;
    };

    const tick = () => {
      const now = wallMs();
      telemetrySlots?.(now, sendTelemetry);
      shadowSlots?.(now, sendShadow);
      if (ackWaiting.length) flushDueAcks(now, now >= endTraffic);
      if (now - lastControl >= CONTROL_MS) {
        lastControl = now;
        if (!control(now)) return;
      }
      if (now - lastEmit >= plan.tickMs) {
        lastEmit = now;
        foldCounters();
        emit({ type: 'tick', workerId: plan.workerId, delta: m.drain() });
      }
    };
    const timer = setInterval(tick, TICK_MS);
    lastControl = wallMs();
    control(lastControl);
  });
}

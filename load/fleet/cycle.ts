/**
 * The cycling engine of one thread: walks its slice of identities in order, each visit a short session (login signed at
 * connect time, subscribe to its own data topic, publish, receive its messages back, dwell, leave), at a connect rate
 * with a cap on live sessions. Delivery is accounted per identity in typed arrays: memory is bounded by the slice, not
 * by the number of messages.
 */
import net from 'node:net';
import { deviceLogin } from '../../src/protocol/credentials.js';
import { Collector } from '../metrics/collector.js';
import { COUNTERS, CYCLE, TRENDS, labelled } from '../metrics/names.js';
import type { EngineMessage, EnginePlan } from './engine.js';
import { wallMs } from './engine.js';
import { DISCONNECT, PINGREQ, connectPacket, publishFrame, pubackPacket, splitFrames, subscribePacket, type Incoming } from './frames.js';
import { identityAt, type IdentityTable } from './identities.js';
import type { Scenario } from '../scenarios/types.js';

export type CyclePlan = NonNullable<Scenario['cycle']>;

/** A visit with no answer for this long (no CONNACK, SUBACK or barrier) is abandoned and its messages counted lost. */
const VISIT_TIMEOUT_MS = 15_000;
/** A session that said DISCONNECT and is not closed by the hub within this is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** The barrier is message number 15: its bit is kept apart from the data messages' bits (at most 8). */
const BARRIER = 15;
const TICK_MS = 5;
/** Visit timeouts and keepalive pings are checked this often (a scan of the live sessions). */
const SCAN_MS = 250;
/** Extra seconds past the plan before the engine stops no matter what. */
const HARD_STOP_GRACE_S = 15;

/** Message j of a visit is QoS 1 when the running share of QoS 1 messages steps up at j (spreads the mix evenly). */
export function qosOf(j: number, qos1Share: number): 0 | 1 {
  return (Math.floor((j + 1) * qos1Share + 1e-9) - Math.floor(j * qos1Share + 1e-9)) as 0 | 1;
}

const enum State { Free, Connecting, Subscribing, Awaiting, Dwelling, Leaving }

class Visit {
  socket: net.Socket | null = null;
  state = State.Free;
  idx = -1;
  topic = '';
  startedAt = 0;
  leaveAt = 0;
  lastSend = 0;
  nextId = 1;
  tail: Buffer | null = null;
  id(): number {
    const id = this.nextId;
    this.nextId = id >= 65535 ? 1 : id + 1;
    return id;
  }
}

class VisitSocket extends net.Socket {
  constructor(readonly visit: Visit) {
    super();
  }
}

/** Identity flags (one byte per identity). */
const F_LOSS = 1, F_DUP = 2, F_REFUSED = 4, F_ERROR = 8;

export async function runCycleEngine(plan: EnginePlan & { cycle: CyclePlan }, table: IdentityTable, emit: (m: EngineMessage) => void, abort?: AbortSignal): Promise<void> {
  const c = plan.cycle;
  const m = new Collector();
  const n = table.count;
  const totalVisits = n * c.cycles;
  const live = Math.max(1, plan.stages[0]?.target ?? 1);
  const visits = new Uint8Array(n);
  /** 1 while the identity has a session open: a small slice cycled twice never logs in over its own live session. */
  const busy = new Uint8Array(n);
  const flags = new Uint8Array(n);
  /** Bits of the current visit's messages received (bit j for message j, bit 15 the barrier). */
  const got = new Uint16Array(n);
  const pool: Visit[] = [];
  const free: Visit[] = [];
  const dwelling: Visit[] = [];
  let dwellHead = 0;
  let next = 0;
  let pending = 0;
  let active = 0; // sockets open (connecting to leaving)
  let localPick = 0;
  let credit = 0;
  const expected = (1 << c.messages) - 1;
  const qosBits = [0, 0];
  for (let j = 0; j < c.messages; j++) qosBits[qosOf(j, c.qos1Share)]! |= 1 << j;
  const latency = [m.recorder(TRENDS.deliveryLatency(0)), m.recorder(TRENDS.deliveryLatency(1))] as const;
  /** The barrier's round trip (QoS 1, sent after the SUBACK) apart from the data messages'. */
  const barrierLatency = m.recorder(TRENDS.cycleBarrierLatency);
  const endAt = plan.startAt + plan.stages.reduce((t, s) => t + s.duration, 0) * 1000;
  const hardStop = endAt + HARD_STOP_GRACE_S * 1000;

  function emitLog(text: string): void {
    emit({ type: 'log', workerId: plan.workerId, text });
  }

  function take(): Visit {
    const v = free.pop();
    if (v) return v;
    const nv = new Visit();
    pool.push(nv);
    return nv;
  }

  /** The visit's messages not received are lost (called once the barrier arrived, or when the visit is abandoned). */
  function account(v: Visit): void {
    const missing = expected & ~got[v.idx]!;
    if (!missing) return;
    flags[v.idx]! |= F_LOSS;
    for (const q of [0, 1] as const) {
      const k = popcount(missing & qosBits[q]!);
      if (k) { m.add(CYCLE.lost, k); m.add(labelled(CYCLE.lost, { qos: q }), k); }
    }
  }

  function open(): void {
    const v = take();
    const idx = next % n;
    next++;
    v.idx = idx;
    v.state = State.Connecting;
    v.startedAt = v.lastSend = wallMs();
    v.tail = null;
    got[idx] = 0;
    busy[idx] = 1;
    if (visits[idx]! < 255) visits[idx]!++;
    pending++;
    active++;
    m.add(CYCLE.visits);
    m.add(COUNTERS.connectAttempts);
    const sock = new VisitSocket(v);
    v.socket = sock;
    sock.setNoDelay(true);
    sock.once('connect', onConnect);
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    const localAddress = plan.localAddresses.length ? plan.localAddresses[localPick++ % plan.localAddresses.length] : undefined;
    sock.connect({ host: plan.host, port: plan.port, ...(localAddress ? { localAddress } : {}) });
  }

  function onConnect(this: VisitSocket): void {
    const v = this.visit;
    if (v.socket !== this) return;
    // Each identity signs its own login now (HMAC-SHA256 of its username with its PSK), as a device does.
    const d = identityAt(table, v.idx);
    v.topic = `${d.productId}/${d.deviceName}/data`;
    const login = deviceLogin(d, { expiry: Math.floor(Date.now() / 1000) + 3600 });
    v.lastSend = wallMs();
    this.write(connectPacket(login.clientId, login.username, login.password, plan.keepalive));
  }

  function onData(this: VisitSocket, chunk: Buffer): void {
    const v = this.visit;
    if (v.socket !== this) return;
    try {
      const buf = v.tail ? Buffer.concat([v.tail, chunk]) : chunk;
      v.tail = splitFrames(buf, (p) => { if (v.socket === this) onPacket(v, p); });
    } catch (e) {
      emitLog(`identity ${v.idx}: ${(e as Error).message}`);
      end(v, 'error');
    }
  }

  function onPacket(v: Visit, p: Incoming): void {
    const sock = v.socket!;
    const now = wallMs();
    switch (p.type) {
      case 'connack': {
        if (v.state !== State.Connecting) return;
        pending--;
        if (p.returnCode !== 0) {
          m.add(COUNTERS.connectRefused);
          m.add(labelled(COUNTERS.connectRefused, { code: p.returnCode }));
          flags[v.idx]! |= F_REFUSED;
          v.state = State.Leaving;
          end(v, 'refused');
          return;
        }
        m.add(COUNTERS.connects);
        m.recordUs(TRENDS.connectDuration, (now - v.startedAt) * 1000);
        // SUBSCRIBE and the messages in one write: the hub must route each PUBLISH after the SUBSCRIBE read before it
        // (ACL-016), so every message comes back; the barrier is only sent once the SUBACK is in.
        // QoS 1 always: the barrier is a QoS 1 message, delivered (and acknowledged) at QoS 1 whatever the data mix.
        const parts = [subscribePacket(v.id(), [{ topic: v.topic, qos: 1 }])];
        for (let j = 0; j < c.messages; j++) {
          const q = qosOf(j, c.qos1Share);
          parts.push(publishFrame(v.topic, q, q ? v.id() : 0, `${v.idx},${j},${now.toFixed(3)},`, c.payloadBytes));
        }
        m.add(COUNTERS.sent, c.messages);
        v.state = State.Subscribing;
        v.lastSend = now;
        sock.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
        return;
      }
      case 'suback': {
        if (v.state !== State.Subscribing) return;
        if (p.granted.some((g) => g === 0x80)) m.add('mqtt_subscribe_refused');
        // The barrier: published after the subscription is confirmed, it comes back after every earlier message of the
        // visit (same connection, same topic), so its arrival tells which of them never will.
        v.state = State.Awaiting;
        v.lastSend = now;
        sock.write(publishFrame(v.topic, 1, v.id(), `${v.idx},${BARRIER},${now.toFixed(3)},`, c.payloadBytes));
        return;
      }
      case 'publish': {
        if (p.qos > 0) sock.write(pubackPacket(p.messageId));
        if (p.topic !== v.topic) { m.add(CYCLE.misrouted); return; }
        const head = p.payload.toString('latin1', 0, Math.min(p.payload.length, 48)).split(',');
        const idx = Number(head[0]);
        const j = Number(head[1]);
        const sentAt = Number(head[2]);
        if (idx !== v.idx || !(j >= 0 && j <= BARRIER)) { m.add(CYCLE.misrouted); return; }
        const bit = 1 << j;
        if (got[idx]! & bit) {
          m.add(CYCLE.duplicates);
          flags[idx]! |= F_DUP;
          return;
        }
        got[idx]! |= bit;
        if (j === BARRIER) {
          if (v.state !== State.Awaiting) return;
          barrierLatency.record((now - sentAt) * 1000);
          account(v);
          m.add(CYCLE.visitsDone);
          v.state = State.Dwelling;
          v.leaveAt = now + c.dwell * 1000;
          dwelling.push(v);
          return;
        }
        m.add(COUNTERS.received);
        latency[qosOf(j, c.qos1Share)].record((now - sentAt) * 1000);
        return;
      }
      default:
        return;
    }
  }

  function onError(this: VisitSocket, e: NodeJS.ErrnoException): void {
    const v = this.visit;
    if (v.socket !== this) return;
    if (v.state === State.Connecting) {
      m.add(COUNTERS.connectErrors);
      m.add(labelled(COUNTERS.connectErrors, { error: e.code ?? 'error' }));
      flags[v.idx]! |= F_ERROR;
    }
    end(v, 'error');
  }

  function onClose(this: VisitSocket): void {
    const v = this.visit;
    if (v.socket !== this) return;
    if (v.state === State.Leaving) { release(v); return; }
    if (v.state === State.Connecting) { m.add(COUNTERS.connectErrors); m.add(labelled(COUNTERS.connectErrors, { error: 'closed' })); flags[v.idx]! |= F_ERROR; }
    end(v, 'error');
  }

  /** Ends a visit: planned (DISCONNECT, wait for the hub to close), refused or failed (close at once). */
  function end(v: Visit, why: 'planned' | 'refused' | 'error' | 'timeout' | 'cut'): void {
    if (v.state === State.Free) return;
    if (v.state === State.Connecting) pending--;
    if (why === 'error' && v.state !== State.Connecting && v.state !== State.Leaving) {
      m.add(COUNTERS.disconnects);
      flags[v.idx]! |= F_ERROR;
    }
    if ((why === 'error' || why === 'timeout') && (v.state === State.Subscribing || v.state === State.Awaiting)) account(v);
    const sock = v.socket;
    if (why === 'planned' && sock && !sock.destroyed) {
      v.state = State.Leaving;
      v.leaveAt = wallMs() + CLOSE_GRACE_MS;
      sock.end(DISCONNECT);
      return;
    }
    v.state = State.Leaving;
    if (sock && !sock.destroyed) sock.destroy();
    release(v);
  }

  function release(v: Visit): void {
    if (v.state === State.Free) return;
    v.state = State.Free;
    busy[v.idx] = 0;
    v.socket = null;
    v.tail = null;
    active--;
    free.push(v);
  }

  function finish(resolve: () => void, timer: NodeJS.Timeout): void {
    clearInterval(timer);
    // Visits still under way when the run is cut short (abort, hard stop) are counted apart: their messages may yet
    // have come back, so they are neither delivered nor lost.
    for (const v of pool) {
      if (v.state === State.Free) continue;
      if (v.state !== State.Dwelling && v.state !== State.Leaving) m.add(CYCLE.visitsCut);
      end(v, v.state === State.Dwelling ? 'planned' : 'cut');
    }
    for (const v of pool) if (v.socket && !v.socket.destroyed) v.socket.destroy();
    let visited = 0, missed = 0, loss = 0, dup = 0, refused = 0, errored = 0;
    for (let i = 0; i < n; i++) {
      if (visits[i] === c.cycles) visited++;
      else missed++;
      const f = flags[i]!;
      if (f & F_LOSS) loss++;
      if (f & F_DUP) dup++;
      if (f & F_REFUSED) refused++;
      if (f & F_ERROR) errored++;
    }
    m.add(CYCLE.identities, n);
    m.add(CYCLE.identitiesVisited, visited);
    m.add(CYCLE.identitiesMissed, missed);
    m.add(CYCLE.identitiesWithLoss, loss);
    m.add(CYCLE.identitiesWithDuplicates, dup);
    m.add(CYCLE.identitiesRefused, refused);
    m.add(CYCLE.identitiesErrored, errored);
    // every counter exists in the report, zero or not, so a threshold on it is judged rather than "no data"
    for (const k of [CYCLE.lost, CYCLE.duplicates, CYCLE.misrouted, CYCLE.visitTimeouts, CYCLE.visitsCut, COUNTERS.connectRefused, COUNTERS.connectErrors]) m.add(k, 0);
    m.gauges['sessions'] = 0;
    m.gauges['pending'] = 0;
    emit({ type: 'done', workerId: plan.workerId, delta: m.drain() });
    resolve();
  }

  return new Promise<void>((resolve) => {
    let last = wallMs();
    let lastScan = 0;
    let lastEmit = last;
    const tick = (): void => {
      const now = wallMs();
      if (abort?.aborted || now > hardStop) {
        emitLog(abort?.aborted ? 'aborted' : `time limit reached with ${totalVisits - next} of ${totalVisits} visits not started`);
        finish(resolve, timer);
        return;
      }
      if (now >= plan.startAt) {
        // Connect pacing: credit accrues at the rate (capped so a stall does not turn into a burst).
        credit = Math.min(credit + (plan.connectRate * (now - Math.max(last, plan.startAt))) / 1000, Math.max(1, plan.connectRate * 0.05));
        while (credit >= 1 && next < totalVisits && active < live && pending < plan.maxPending && now < endAt && !busy[next % n]) {
          credit--;
          open();
        }
        // Leave after the dwell (a FIFO: every visit dwells equally long).
        while (dwellHead < dwelling.length && dwelling[dwellHead]!.leaveAt <= now) {
          const v = dwelling[dwellHead++]!;
          if (v.state === State.Dwelling) end(v, 'planned');
        }
        if (dwellHead > 4096 && dwellHead * 2 > dwelling.length) { dwelling.splice(0, dwellHead); dwellHead = 0; }
        if (now - lastScan >= SCAN_MS) {
          lastScan = now;
          const pingAfter = plan.keepalive > 0 ? plan.keepalive * 500 : Infinity;
          for (const v of pool) {
            if (v.state === State.Free) continue;
            if (v.state === State.Leaving) { if (now > v.leaveAt) { v.socket?.destroy(); release(v); } continue; }
            if (v.state === State.Dwelling) { if (now - v.lastSend > pingAfter) { v.lastSend = now; v.socket!.write(PINGREQ); } continue; }
            if (now - v.startedAt > VISIT_TIMEOUT_MS) {
              m.add(CYCLE.visitTimeouts);
              if (v.state === State.Connecting) { m.add(COUNTERS.connectErrors); m.add(labelled(COUNTERS.connectErrors, { error: 'timeout' })); flags[v.idx]! |= F_ERROR; }
              end(v, 'timeout');
            }
          }
        }
        if ((next >= totalVisits || now >= endAt) && active === 0) { finish(resolve, timer); return; }
      }
      last = now;
      if (now - lastEmit >= plan.tickMs) {
        lastEmit = now;
        m.gauges['sessions'] = active - pending;
        m.gauges['pending'] = pending;
        emit({ type: 'tick', workerId: plan.workerId, delta: m.drain() });
      }
    };
    const timer = setInterval(tick, TICK_MS);
  });
}

function popcount(x: number): number {
  let k = 0;
  for (; x; x &= x - 1) k++;
  return k;
}

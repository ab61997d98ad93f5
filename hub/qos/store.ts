// Persistent sessions on top of Aedes' in-memory persistence: which ClientIds have a session, when each went offline,
// and the QoS 1 messages stored for it (at most 150, at most 24 h on the hub clock).
//
// Aedes keeps subscriptions for CleanSession = 0 clients in its persistence and enqueues every QoS 1 message that
// matches one of them through persistence.outgoingEnqueueCombi (online or offline). We replace the outgoing-queue
// methods of that persistence instance with this store, so the caps, the expiry and the faults live in one place;
// subscriptions, wills and the QoS 2 incoming store stay Aedes' own. The replay after a reconnect is not Aedes'
// emptyQueue (outgoingStream answers an empty stream): outbox.ts sends stored messages itself, paced and windowed.
//
// Every change of session state (session opened or closed, CleanSession = 0 subscriptions, message stored, sent,
// acknowledged, expired, discarded) is also written to a SessionBackend (durable/): nothing for the default memory
// backend, the hub's SQLite file with --data. restore() reads it back at start.

import type { Aedes, Client } from 'aedes';
import { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import { MAX_STORED_MESSAGES, SESSION_TTL_MS, STORED_MESSAGE_TTL_MS } from '../limits.js';
import { covers, levels } from '../acl/topics.js';
import { memoryBackend, type SessionBackend } from './durable/backend.js';
import type { LogEntry, SharedSessions } from './durable/shared.js';

/** One stored QoS 1 message; messageId is set once it was sent (so a resend after a reconnect carries DUP = 1). */
export interface StoredMessage {
  readonly brokerId: string;
  readonly brokerCounter: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly storedAt: number;
  messageId: number | undefined;
}

export interface SessionRecord {
  /** The connection currently bound to this session, if any. */
  client: Client | null;
  /** Hub-clock time of the last disconnect (for the 24 h session expiry). */
  disconnectedAt: number;
  messages: StoredMessage[];
}

/** What the store needs to know of the logged-in connections of this process (hub/auth/sessions.ts). */
export interface SessionPeers {
  loggedIn(client: Client): boolean;
  /** Logged-in connections of the same device other than `client`. */
  othersOf(client: Client): number;
}

interface PublishLike { brokerId?: string; brokerCounter?: number; topic: string; payload?: Buffer | string; qos?: number; messageId?: number }

/** The record of a QoS 1 message kept for a session: the packet's identity in Aedes, its topic and payload, when stored. */
function storedMessage(packet: PublishLike, storedAt: number): StoredMessage {
  return { brokerId: packet.brokerId ?? '', brokerCounter: packet.brokerCounter ?? 0, topic: packet.topic, payload: Buffer.from(packet.payload ?? ''), storedAt, messageId: undefined };
}
interface SubLike { clientId: string; topic: string; qos: number }

/** The persistence methods we take over or call; the rest of the instance is Aedes' memory persistence. */
interface PersistenceInternals {
  outgoingEnqueue(sub: { clientId: string }, packet: PublishLike): Promise<void>;
  outgoingEnqueueCombi(subs: SubLike[], packet: PublishLike): Promise<void>;
  outgoingUpdate(client: Client, packet: PublishLike): Promise<void>;
  outgoingClearMessageId(client: Client, packet: { messageId?: number }): Promise<PublishLike | undefined>;
  outgoingStream(client: Client): Readable;
  addSubscriptions(client: { id: string }, subs: SubLike[] | { topic: string; qos: number }[]): Promise<void>;
  removeSubscriptions(client: { id: string }, topics: string[]): Promise<void>;
  subscriptionsByClient(client: { id: string }): Promise<{ topic: string; qos: number }[]>;
  subscriptionsByTopic(topic: string): Promise<SubLike[]>;
  cleanSubscriptions(client: { id: string }): Promise<void>;
}

/**
 * Returned by subscriptionsByClient for a session that exists but holds no subscription: Aedes derives CONNACK
 * SessionPresent from "stored subscriptions are not empty", which is wrong for such a session (MQTT-3.2.2-2,
 * QOS-015). Restoring it passes authorizeSubscribe, which grants nothing outside the device's classes, so it
 * subscribes nothing; it only makes SessionPresent 1.
 */
const SESSION_MARKER = { topic: '$hub/session-present', qos: 0 };

export class SessionStore {
  private readonly records = new Map<string, SessionRecord>();
  private persistence!: PersistenceInternals;
  private originalSubscriptionsByClient!: PersistenceInternals['subscriptionsByClient'];
  private originalAddSubscriptions!: PersistenceInternals['addSubscriptions'];
  private originalRemoveSubscriptions!: PersistenceInternals['removeSubscriptions'];
  private originalCleanSubscriptions!: PersistenceInternals['cleanSubscriptions'];

  /**
   * `shared`: the sessions of a hub cluster, in Redis (durable/shared.ts). `records` then holds only the sessions of
   * devices connected to this worker; the others live in Redis alone, and their subscriptions in the trie.
   */
  constructor(
    private readonly clock: Clock,
    private readonly faults: Faults,
    private readonly log: (line: string) => void,
    readonly backend: SessionBackend = memoryBackend,
    private readonly shared?: SharedSessions,
    private readonly peers?: SessionPeers,
  ) {}

  /** Takes over the outgoing-queue methods of the broker's persistence instance. */
  install(broker: Aedes): void {
    const p = (broker as unknown as { persistence?: PersistenceInternals }).persistence;
    for (const m of ['outgoingEnqueueCombi', 'outgoingClearMessageId', 'outgoingStream', 'subscriptionsByClient', 'cleanSubscriptions', 'subscriptionsByTopic', 'addSubscriptions', 'removeSubscriptions'] as const) {
      if (!p || typeof p[m] !== 'function') throw new Error(`aedes internals changed: persistence.${m} was expected (see hub/qos/store.ts)`);
    }
    this.persistence = p!;
    const subsByClient = p!.subscriptionsByClient.bind(p);
    const cleanSubs = p!.cleanSubscriptions.bind(p);
    const addSubs = p!.addSubscriptions.bind(p);
    const removeSubs = p!.removeSubscriptions.bind(p);
    this.originalSubscriptionsByClient = subsByClient;
    this.originalAddSubscriptions = addSubs;
    this.originalRemoveSubscriptions = removeSubs;
    this.originalCleanSubscriptions = cleanSubs;
    p!.outgoingEnqueue = async (sub, packet) => {
      this.enqueue(sub.clientId, packet);
      await this.backend.flush();
    };
    // Aedes calls this from broker.publish before it emits the message to online subscribers (aedes.js
    // publishFuncsQoS: storeRetained, enqueueOffline, emitPacket); with a durable backend the publisher's PUBACK
    // waits for the whole publish (qos/index.ts), so a stored message is on disk before it is acknowledged.
    p!.outgoingEnqueueCombi = async (subs, packet) => {
      if (subs.length === 0) return;
      this.backend.batch(() => {
        for (const sub of subs) this.enqueue(sub.clientId, packet);
      });
      await this.backend.flush(); // Redis: the reply for every message stored here
    };
    p!.outgoingUpdate = async (client, packet) => {
      const m = this.records.get(client.id)?.messages.find((x) => x.brokerId === packet.brokerId && x.brokerCounter === packet.brokerCounter);
      if (m) this.markSent(client.id, m, packet.messageId);
    };
    // CleanSession = 0 subscriptions stay in Aedes' persistence (its trie routes messages); the backend keeps a copy
    // for restore(). Aedes only calls these for CleanSession = 0 clients (handlers/subscribe.js, unsubscribe.js).
    p!.addSubscriptions = async (client, subs) => {
      await addSubs(client, subs);
      this.backend.putSubscriptions(client.id, subs.map((s) => ({ topic: s.topic, qos: s.qos })));
    };
    p!.removeSubscriptions = async (client, topics) => {
      await removeSubs(client, topics);
      this.backend.removeSubscriptions(client.id, topics);
    };
    p!.outgoingClearMessageId = async (client, packet) => this.acknowledge(client.id, packet.messageId);
    p!.outgoingStream = () => Readable.from([]); // the outbox replays stored messages itself (paced, windowed)
    p!.cleanSubscriptions = async (client) => {
      // CleanSession = 1 login: the session, its subscriptions and its messages are gone (QOS-019); the fault keeps them
      if (this.faults.has('keep-session-on-clean') && this.records.has(client.id)) return;
      this.records.delete(client.id);
      this.backend.deleteSession(client.id);
      await cleanSubs(client);
    };
    if (this.shared) return this.installShared(this.shared, { subsByClient, cleanSubs, addSubs, removeSubs });
    p!.subscriptionsByClient = async (client) => {
      // CleanSession = 0 login (Aedes' fetchSubs): an expired or forgotten session is discarded first
      const record = this.records.get(client.id);
      if (record && (this.faults.has('forget-session') || this.expired(record))) {
        await this.discard(client.id, this.faults.has('forget-session') ? 'forget-session fault' : 'offline for more than 24 h');
        return [];
      }
      const subs = await subsByClient(client);
      // QOS-015: SessionPresent 1 only for a stored session; the fault reports one for every CleanSession = 0 login
      return subs.length === 0 && (record || this.faults.has('session-present-always')) ? [SESSION_MARKER] : subs;
    };
  }

  /** The cluster's variants of the persistence methods: session state in Redis, subscriptions replicated to every worker. */
  private installShared(shared: SharedSessions, original: {
    subsByClient: PersistenceInternals['subscriptionsByClient'];
    cleanSubs: PersistenceInternals['cleanSubscriptions'];
    addSubs: PersistenceInternals['addSubscriptions'];
    removeSubs: PersistenceInternals['removeSubscriptions'];
  }): void {
    const p = this.persistence;
    p.outgoingEnqueue = async (sub, packet) => this.storeShared(shared, [sub.clientId], packet);
    p.outgoingEnqueueCombi = async (subs, packet) => this.storeShared(shared, subs.map((s) => s.clientId), packet);
    // Aedes looks up the sessions a QoS 1 message is stored for here: first every change logged before it (catchUp)
    const subsByTopic = p.subscriptionsByTopic.bind(p);
    p.subscriptionsByTopic = async (topic) => {
      await shared.catchUp();
      return subsByTopic(topic);
    };
    p.addSubscriptions = async (client, subs) => {
      await original.addSubs(client, subs);
      await shared.addSubscriptions(client.id, subs.map((s) => ({ topic: s.topic, qos: s.qos }))); // before the SUBACK
    };
    p.removeSubscriptions = async (client, topics) => {
      await original.removeSubs(client, topics);
      await shared.removeSubscriptions(client.id, topics);
    };
    p.cleanSubscriptions = async (client) => {
      this.records.delete(client.id);
      await shared.drop(client.id); // QOS-019
      await original.cleanSubs(client);
    };
    p.subscriptionsByClient = async (client) => {
      await shared.catchUp();
      const claimed = await shared.claim(client.id, this.clock.advanced(), SESSION_TTL_MS); // QOS-023 applied in Redis
      if (claimed.expired) {
        this.log(`mqtt: session ${client.id} discarded: offline for more than 24 h`);
        await original.cleanSubs({ id: client.id });
      }
      this.records.set(client.id, { client: null, disconnectedAt: 0, messages: [] });
      const subs = await original.subsByClient(client);
      return subs.length === 0 && claimed.present ? [SESSION_MARKER] : subs; // QOS-015
    };
    // Aedes' emptyQueue runs after the subscriptions are restored and before 'connected', when the outbox takes the
    // stored messages: they are read here, so a message stored before this read is replayed and one stored after it
    // is delivered live (the subscriptions are in place by then), and the outbox sends a message it gets both ways once.
    p.outgoingStream = (client) => {
      const id = client.id;
      const load = async function* (store: SessionStore) {
        const messages = await shared.messages(id);
        const record = store.records.get(id);
        if (record) record.messages = messages.map((m) => ({ ...m }));
      };
      return Readable.from(load(this));
    };
  }

  /** A QoS 1 message stored (in Redis) for each session; the PUBLISH is acknowledged after this resolves. */
  private async storeShared(shared: SharedSessions, clientIds: readonly string[], packet: PublishLike): Promise<void> {
    if ((packet.qos ?? 0) < 1 || clientIds.length === 0) return;
    const now = this.clock.advanced();
    const m = storedMessage(packet, now);
    await Promise.all([...new Set(clientIds)].map(async (id) => {
      const r = await shared.store(id, m, now, STORED_MESSAGE_TTL_MS, SESSION_TTL_MS, MAX_STORED_MESSAGES); // QOS-020, QOS-022
      if (r === 'full') this.log(`mqtt: session ${id} holds ${MAX_STORED_MESSAGES} messages; a message on ${packet.topic} is not stored`);
      const held = this.records.get(id);
      if (r === 'stored' && held && !held.messages.some((x) => x.brokerId === m.brokerId && x.brokerCounter === m.brokerCounter)) held.messages.push({ ...m });
    }));
  }

  /**
   * In a cluster, a QoS 1 message for a connected device may have been stored by the worker that routed it: the first
   * time this worker sends it, it takes it into the session it holds, so the PUBACK clears it in Redis.
   */
  adopt(clientId: string, brokerId: string | undefined, brokerCounter: number | undefined, topic: string, payload: Buffer): StoredMessage | undefined {
    const record = this.shared ? this.records.get(clientId) : undefined;
    if (!record) return undefined;
    const m: StoredMessage = { brokerId: brokerId ?? '', brokerCounter: brokerCounter ?? 0, topic, payload, storedAt: this.clock.advanced(), messageId: undefined };
    record.messages.push(m);
    return m;
  }

  /** Messages stored for a session, wherever it is held (PublishMessage's 150 check). */
  async storedCount(clientId: string): Promise<number> {
    if (this.shared && !this.records.get(clientId)?.client) return this.shared.count(clientId);
    return this.messages(clientId).length;
  }

  /** Applies a change another worker logged to this worker's copy of the subscriptions. */
  private async applyShared(e: LogEntry): Promise<void> {
    if (e.op === 'sub') await this.originalAddSubscriptions({ id: e.id }, e.subs.map((s) => ({ topic: s.topic, qos: s.qos })));
    else if (e.op === 'unsub') await this.originalRemoveSubscriptions({ id: e.id }, e.topics);
    else {
      if (!this.records.get(e.id)?.client) this.records.delete(e.id);
      await this.originalCleanSubscriptions({ id: e.id });
    }
  }

  /** A connection finished its CONNECT: a CleanSession = 0 one now holds the session. */
  connected(client: Client): void {
    if (this.shared) {
      // the session was claimed (or dropped, for CleanSession = 1) before the CONNACK
      const record = client.clean ? undefined : this.records.get(client.id);
      if (record) record.client = client;
      return;
    }
    if (client.clean) {
      if (!this.faults.has('keep-session-on-clean')) {
        this.records.delete(client.id);
        this.record(`end of the session of ${client.id}`, () => this.backend.deleteSession(client.id));
      }
      return;
    }
    const record = this.records.get(client.id);
    if (record) record.client = client;
    else this.records.set(client.id, { client, disconnectedAt: 0, messages: [] });
    this.record(`login of ${client.id}`, () => this.backend.saveSession(client.id, null));
  }

  /** A connection closed: its session (if it still holds it) starts the 24 h offline clock. */
  disconnected(client: Client): void {
    const record = client.id ? this.records.get(client.id) : undefined;
    if (this.shared && record && this.peers) {
      // A connection may close before 'connected' (the device left at once), so whether it held the session here is
      // not told by record.client. It held it if it logged in with CleanSession = 0 and no other logged-in connection
      // of the device is on this worker (one that is taking over the session here); then offline sessions live in
      // Redis only, and the next CONNECT, on any worker, reads them from there. The release starts the 24 h only if
      // no other worker has claimed the session since.
      if (record.client === client) record.client = null;
      if (client.clean || !this.peers.loggedIn(client) || this.peers.othersOf(client) > 0) return;
      this.records.delete(client.id);
      this.shared.release(client.id, this.clock.advanced());
      return;
    }
    if (!record || record.client !== client) return;
    record.client = null;
    record.disconnectedAt = this.clock.advanced();
    this.record(`disconnect of ${client.id}`, () => this.backend.saveSession(client.id, record.disconnectedAt));
  }

  /**
   * At start, before any connection: the sessions the backend recorded, with their subscriptions (into Aedes'
   * persistence, so messages route to them and CONNACK says SessionPresent 1) and their stored messages with the
   * packet identifiers they were sent with (so a resend carries DUP = 1 and the same identifier, QOS-018).
   *
   * Every restored session is offline. One recorded as offline keeps its disconnect time: its 24 h run on. One that
   * was online when the process died starts its 24 h at this restart: the hub cannot know when the device really went
   * away, and starting the clock earlier could discard a session the device was using until the crash.
   */
  async restore(): Promise<{ sessions: number; messages: number }> {
    const now = this.clock.advanced();
    if (this.shared) {
      const released = await this.shared.releaseAll(now);
      if (released) this.log(`mqtt: ${released} sessions held by this worker's predecessor are offline from now`);
      const r = await this.shared.snapshot((e) => this.applyShared(e));
      return { sessions: r.sessions, messages: 0 };
    }
    let messages = 0;
    const sessions = await this.backend.load();
    for (const s of sessions) {
      if (s.disconnectedAt === null) this.backend.saveSession(s.clientId, now);
      this.records.set(s.clientId, {
        client: null,
        disconnectedAt: s.disconnectedAt ?? now,
        messages: s.messages.map((m) => ({ ...m })),
      });
      messages += s.messages.length;
      if (s.subscriptions.length > 0) await this.originalAddSubscriptions({ id: s.clientId }, s.subscriptions.map((x) => ({ topic: x.topic, qos: x.qos })));
    }
    await this.sweep();
    return { sessions: sessions.length, messages };
  }

  /** Discards offline sessions past 24 h and messages past theirs (at start and periodically), so rows do not pile up. */
  async sweep(): Promise<void> {
    if (this.shared) {
      for (const id of await this.shared.expiredSessions(this.clock.advanced(), SESSION_TTL_MS)) {
        this.log(`mqtt: session ${id} discarded: offline for more than 24 h`);
        await this.shared.drop(id);
        await this.originalCleanSubscriptions({ id });
      }
      return;
    }
    for (const [clientId, record] of [...this.records]) {
      if (this.expired(record)) await this.discard(clientId, 'offline for more than 24 h');
      else this.messages(clientId);
    }
  }

  /** A stored message was sent with this packet identifier (written before the PUBLISH goes out). */
  markSent(clientId: string, m: StoredMessage, messageId: number | undefined): void {
    if (m.messageId === messageId) return;
    m.messageId = messageId;
    if (this.shared) return this.shared.setMessageId(clientId, m.brokerId, m.brokerCounter, messageId);
    this.record(`packet id of a message for ${clientId}`, () => this.backend.setMessageId(clientId, m.brokerId, m.brokerCounter, messageId));
  }

  /** The live session of a ClientId, after applying the 24 h expiry (undefined when there is none). */
  async session(clientId: string): Promise<SessionRecord | undefined> {
    if (this.shared && !this.records.get(clientId)?.client) {
      const s = await this.shared.session(clientId);
      if (!s || (s.disconnectedAt !== null && this.clock.advanced() - s.disconnectedAt > SESSION_TTL_MS)) return undefined;
      return { client: null, disconnectedAt: s.disconnectedAt ?? 0, messages: [] };
    }
    const record = this.records.get(clientId);
    if (record && this.expired(record)) {
      await this.discard(clientId, 'offline for more than 24 h');
      return undefined;
    }
    return record;
  }

  /** Stored messages still within their 24 h, oldest first (expired ones are removed). */
  messages(clientId: string): StoredMessage[] {
    const record = this.records.get(clientId);
    if (!record) return [];
    const now = this.clock.advanced();
    const live = (m: StoredMessage) => now - m.storedAt <= STORED_MESSAGE_TTL_MS; // QOS-022
    if (!record.messages.every(live)) {
      const shared = this.shared;
      if (shared) {
        for (const m of record.messages) if (!live(m)) shared.deleteMessage(clientId, m.brokerId, m.brokerCounter);
      } else this.record(`expiry of messages for ${clientId}`, () => this.backend.batch(() => {
        for (const m of record.messages) if (!live(m)) this.backend.deleteMessage(clientId, m.brokerId, m.brokerCounter);
      }));
      record.messages = record.messages.filter(live);
    }
    return record.messages;
  }

  find(clientId: string, brokerId: string | undefined, brokerCounter: number | undefined): StoredMessage | undefined {
    return this.records.get(clientId)?.messages.find((m) => m.brokerId === brokerId && m.brokerCounter === brokerCounter);
  }

  /** Whether a stored subscription of the session covers the topic at QoS 1 (so a QoS 1 message would be stored). */
  async storesFor(clientId: string, topic: string): Promise<boolean> {
    await this.shared?.catchUp();
    const subs = await this.originalSubscriptionsByClient({ id: clientId });
    const t = levels(topic);
    return subs.some((s) => s.qos > 0 && covers(levels(s.topic), t));
  }

  /** Fault store-qos0-offline: a QoS 0 message is stored for offline sessions as if it were QoS 1. */
  async storeQos0(packet: PublishLike): Promise<void> {
    const subs = await this.persistence.subscriptionsByTopic(packet.topic);
    for (const sub of subs) {
      const record = this.records.get(sub.clientId);
      if (record && !record.client) this.enqueue(sub.clientId, packet, true);
    }
    await this.backend.flush();
  }

  private enqueue(clientId: string, packet: PublishLike, qos0Fault = false): void {
    const record = this.records.get(clientId);
    if (!record || this.expired(record)) return; // no session (or an expired one): nothing is stored
    if ((packet.qos ?? 0) < 1 && !qos0Fault) return; // QoS 0 is never stored (QOS-017)
    if (!record.client && this.faults.has('drop-offline-qos1')) return;
    const live = this.messages(clientId);
    if (live.some((m) => m.brokerId === packet.brokerId && m.brokerCounter === packet.brokerCounter)) return;
    if (live.length >= MAX_STORED_MESSAGES && !this.faults.has('offline-cap-only-in-api')) {
      // QOS-020: the first 150 are kept and newer ones refused, whichever path published them (device PUBLISH,
      // PublishMessage, broadcast); PublishMessage reports OfflineMessageExceedLimit. The fault leaves the cap to
      // PublishMessage alone.
      this.log(`mqtt: session ${clientId} holds ${MAX_STORED_MESSAGES} messages; a message on ${packet.topic} is not stored`);
      return;
    }
    const m = storedMessage(packet, this.clock.advanced());
    this.backend.addMessage(clientId, m); // first: a failed write leaves nothing half-stored, and Aedes sees the error
    live.push(m);
  }

  private async acknowledge(clientId: string, messageId: number | undefined): Promise<PublishLike | undefined> {
    const record = this.records.get(clientId);
    if (!record || messageId === undefined) return undefined;
    const i = record.messages.findIndex((m) => m.messageId === messageId);
    if (i < 0) return undefined;
    const [m] = record.messages.splice(i, 1);
    if (this.shared) this.shared.deleteMessage(clientId, m!.brokerId, m!.brokerCounter);
    else this.record(`PUBACK from ${clientId}`, () => this.backend.deleteMessage(clientId, m!.brokerId, m!.brokerCounter));
    return { brokerId: m!.brokerId, brokerCounter: m!.brokerCounter, topic: m!.topic, payload: m!.payload, qos: 1, messageId };
  }

  /**
   * A backend write whose failure must not stop the hub (it runs in connection events and acknowledgements): it is
   * logged, and the restart may then resend a message (QoS 1 allows it) or keep a session a little longer. Storing
   * a message is not written this way: its error reaches Aedes, so the PUBLISH is not acknowledged.
   */
  private record(what: string, write: () => void): void {
    try {
      write();
    } catch (e) {
      this.log(`mqtt: session store (${this.backend.kind}): ${what} not recorded: ${(e as Error).message}`);
    }
  }

  private expired(record: SessionRecord): boolean {
    return !record.client && record.disconnectedAt > 0 && this.clock.advanced() - record.disconnectedAt > SESSION_TTL_MS; // QOS-023
  }

  private async discard(clientId: string, why: string): Promise<void> {
    this.log(`mqtt: session ${clientId} discarded: ${why}`);
    this.records.delete(clientId);
    this.record(`end of the session of ${clientId}`, () => this.backend.deleteSession(clientId));
    await this.persistence.cleanSubscriptions({ id: clientId });
  }
}

// Where persistent-session state lives besides the SessionStore's own maps: nowhere (memory, the default), the hub's
// SQLite data file (sqlite.ts) or Redis (redis.ts). The store stays the one place that decides; a backend only records.
//
// The write methods return at once. SQLite has finished the write by then; Redis has queued it on its one
// connection, in order, and flush() waits for the messages stored since the last flush, so the hub can acknowledge
// a QoS 1 PUBLISH only once its message is stored.

/** One stored QoS 1 message as a backend keeps it; messageId is set once it was sent (a resend carries DUP = 1). */
export interface DurableMessage {
  readonly brokerId: string;
  readonly brokerCounter: number;
  readonly topic: string;
  readonly payload: Buffer;
  readonly storedAt: number;
  readonly messageId: number | undefined;
}

export interface DurableSubscription {
  readonly topic: string;
  readonly qos: number;
}

/** A session as it was recorded: disconnectedAt is null while a connection held it (online). */
export interface DurableSession {
  readonly clientId: string;
  readonly disconnectedAt: number | null;
  readonly subscriptions: DurableSubscription[];
  /** Oldest first. */
  readonly messages: DurableMessage[];
}

export interface SessionBackend {
  /** 'memory' keeps nothing across a restart; the hub acknowledges QoS 1 after the store only for a durable one. */
  readonly kind: 'memory' | 'sqlite' | 'redis';
  readonly durable: boolean;
  /** Every recorded session with its subscriptions and messages (once, at start). */
  load(): DurableSession[] | Promise<DurableSession[]>;
  /** Creates or updates a session; null marks it online. */
  saveSession(clientId: string, disconnectedAt: number | null): void;
  /** Forgets a session with its subscriptions and messages. */
  deleteSession(clientId: string): void;
  /** Adds or replaces subscriptions (by topic filter) of a CleanSession = 0 client. */
  putSubscriptions(clientId: string, subs: readonly DurableSubscription[]): void;
  removeSubscriptions(clientId: string, topics: readonly string[]): void;
  addMessage(clientId: string, m: DurableMessage): void;
  setMessageId(clientId: string, brokerId: string, brokerCounter: number, messageId: number | undefined): void;
  deleteMessage(clientId: string, brokerId: string, brokerCounter: number): void;
  /** Runs fn as one write (one transaction for SQLite), e.g. a message stored for many sessions. */
  batch<T>(fn: () => T): T;
  /** Resolves once the messages added since the last flush are stored; rejects when one of them could not be. */
  flush(): Promise<void> | void;
  close(): Promise<void> | void;
}

/** Today's behaviour: sessions live in the store's maps only and end with the process. */
export const memoryBackend: SessionBackend = {
  kind: 'memory',
  durable: false,
  load: () => [],
  saveSession: () => {},
  deleteSession: () => {},
  putSubscriptions: () => {},
  removeSubscriptions: () => {},
  addMessage: () => {},
  setMessageId: () => {},
  deleteMessage: () => {},
  batch: (fn) => fn(),
  flush: () => {},
  close: () => {},
};

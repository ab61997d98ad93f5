// Writes of one event-loop turn (logins' online marks and presence rows, logouts' offline marks) committed together, in
// one transaction in the turn's check phase (setImmediate), instead of one transaction per statement. The workers of a
// cluster share the registry file, and SQLite lets one writer in at a time: per statement, two workers took turns
// several times per login, and a worker that found the file locked slept in SQLite's busy handler, blocking its event
// loop. Batched, a busy worker writes more per transaction, not more transactions; and a batch that finds the file
// locked is retried from a timer, so the event loop keeps serving meanwhile.
//
// Writes are applied in the order they were queued. A caller that must not go on before its write is in the file (a
// CONNACK after the device's presence row) waits for the promise; the others let it run.

import type Database from 'better-sqlite3';

/** How long a batch keeps retrying a locked file (the busy timeout better-sqlite3 gives each statement by default). */
const GIVE_UP_MS = 5000;
/** The first retry's delay; each next one doubles, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 50;
/** The busy timeout of every other statement on this connection, restored after each batch. */
const BUSY_TIMEOUT_MS = 5000;

interface Queued {
  write: () => void;
  done: (err?: Error) => void;
}

export class TurnWrites {
  private queue: Queued[] = [];
  /** A flush is due (in this turn's check phase, or from a retry's timer). */
  private scheduled = false;
  /** Since when batches have found the file locked, and the delay of the last retry. */
  private failing: { since: number; delay: number } | undefined;
  private closed = false;

  constructor(private readonly db: Database.Database, private readonly log: (line: string) => void) {}

  /** Queues a write; resolves once it is committed, rejects if the file stayed locked for GIVE_UP_MS. */
  add(write: () => void): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the registry is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ write, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Queues a write nobody waits for; a failure is logged with `what`. */
  fire(what: string, write: () => void): void {
    this.add(write).catch((e: Error) => this.log(`registry: ${what} not recorded: ${e.message}`));
  }

  /** Commits what is queued now, waiting on a locked file as long as SQLite's busy timeout; then takes no more writes. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    this.commit(batch);
  }

  private commit(batch: Queued[]): void {
    let errors: (Error | undefined)[];
    try {
      errors = this.transaction(batch);
    } catch (e) {
      batch.forEach((q) => q.done(e as Error));
      return;
    }
    batch.forEach((q, i) => q.done(errors[i]));
  }

  /** One transaction, taking the write lock at its start; a write that fails alone fails alone (its error, by index). */
  private transaction(batch: Queued[]): (Error | undefined)[] {
    return this.db.transaction(() => batch.map((q) => {
      try {
        q.write();
        return undefined;
      } catch (e) {
        return e as Error;
      }
    })).immediate();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.closed) return;
    const batch = this.queue.splice(0);
    let errors: (Error | undefined)[];
    try {
      // no sleeping in SQLite's busy handler: a locked file fails at once, and the batch is retried from a timer
      // (db.pragma each time: SQLite applies PRAGMA busy_timeout when the statement is prepared, not when it runs)
      this.db.pragma('busy_timeout = 0');
      try {
        errors = this.transaction(batch);
      } finally {
        this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      }
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      const now = performance.now();
      if ((code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') && (!this.failing || now - this.failing.since < GIVE_UP_MS)) {
        this.queue.unshift(...batch); // before what was queued since, so that the order of writes holds
        this.failing = this.failing ? { since: this.failing.since, delay: Math.min(MAX_RETRY_MS, this.failing.delay * 2) } : { since: now, delay: FIRST_RETRY_MS };
        this.scheduled = true;
        setTimeout(() => this.flush(), this.failing.delay);
        return;
      }
      this.failing = undefined;
      batch.forEach((q) => q.done(e as Error));
      return;
    }
    this.failing = undefined;
    batch.forEach((q, i) => q.done(errors[i]));
  }
}

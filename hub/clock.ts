// The hub's clock: the wall clock plus an offset a test may advance (the test-clock capability), so limits measured in hours are testable in seconds.

export interface Clock {
  /**
   * The time clients see (milliseconds since the epoch, never offset): signatures, certificates, NTP answers,
   * shadow metadata and event timestamps use it, because clients compare them with their own clocks.
   */
  now(): number;
  /** Same as now(): kept as the explicit name where signature freshness is judged. */
  wall(): number;
  /**
   * The hub's retention clock: now() plus what a test has advanced it by. Only the 24 h limits of persistent
   * sessions (offline message and session expiry) and OTA's TimeoutInterval read it, so advancing it never breaks a
   * client's view or the work of other suites running against the same hub at the same time.
   */
  advanced(): number;
  /** Moves the hub's time forward; never backwards. */
  advance(ms: number): void;
  /** How far the clock has been advanced in total. */
  readonly offsetMs: number;
}

export interface ClockOptions {
  /** The offset a previous run had advanced to (kept with the hub's data file). */
  offsetMs?: number;
  /** Called after every advance with the new total offset (to keep it). */
  onAdvance?: (offsetMs: number) => void;
  /**
   * Where the offset lives when several processes share one clock (the workers of a hub cluster): read on every
   * use, so an advance made through one worker holds at once on all of them. onAdvance writes it.
   */
  readOffset?: () => number;
}

export function createClock(base: () => number = Date.now, options: ClockOptions = {}): Clock {
  let local = options.offsetMs ?? 0;
  const read = options.readOffset;
  const offset = read ? () => read() : () => local;
  return {
    now: () => base(),
    wall: () => base(),
    advanced: () => base() + offset(),
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`the clock only moves forward: advance(${ms}) refused`);
      local = offset() + ms;
      options.onAdvance?.(local);
    },
    get offsetMs() { return offset(); },
  };
}

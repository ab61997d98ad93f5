// The hub's clock: the wall clock plus an offset a test may advance (the test-clock capability), so limits measured in hours are testable in seconds.

export interface Clock {
  /** Milliseconds since the epoch as the hub sees them. */
  now(): number;
  /** Moves the hub's time forward; never backwards. */
  advance(ms: number): void;
  /** How far the clock has been advanced in total. */
  readonly offsetMs: number;
}

export function createClock(base: () => number = Date.now): Clock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`the clock only moves forward: advance(${ms}) refused`);
      offset += ms;
    },
    get offsetMs() { return offset; },
  };
}

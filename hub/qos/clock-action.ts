// AdvanceTestClock: a test-only cloud action (TC3-signed like any other) that moves the hub clock forward, served only
// when the hub runs with testClock: true / --test-clock, so 24 h limits are testable in seconds.

import type { Action } from '../api/context.js';
import { ApiError, invalid, missing } from '../api/errors.js';
import type { Clock } from '../clock.js';

/** Ten years: enough for any limit the protocol measures in hours or days, and far from float trouble. */
const MAX_ADVANCE_SECONDS = 10 * 365 * 24 * 3600;

export function advanceTestClockAction(clock: Clock): Action {
  return {
    params: ['Seconds'],
    run(_ctx, p) {
      const seconds = p['Seconds'];
      if (seconds === undefined || seconds === null) throw missing('Seconds');
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_ADVANCE_SECONDS) {
        throw invalid('Seconds', `a number of seconds from 0 to ${MAX_ADVANCE_SECONDS}`, seconds);
      }
      try {
        clock.advance(Math.round(seconds * 1000));
      } catch (err) {
        throw new ApiError('InvalidParameterValue', (err as Error).message);
      }
      return { Now: Math.floor(clock.advanced() / 1000), OffsetSeconds: Math.floor(clock.offsetMs / 1000) };
    },
  };
}

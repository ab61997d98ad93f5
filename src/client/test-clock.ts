/**
 * The test-clock capability from the harness side: the reference hub serves a test-only cloud action,
 * AdvanceTestClock {Seconds}, TC3-signed like every other action, that moves its clock forward (only when it
 * was started with --test-clock / testClock: true). Limits measured in hours (24 h session and message expiry)
 * then take seconds to test.
 */
import type { CloudApi } from './cloud-api.js';

export const ADVANCE_ACTION = 'AdvanceTestClock';

/** What the hub answers: its clock (Unix seconds) and how far it has been advanced in total. */
export interface ClockAdvance { Now: number; OffsetSeconds: number }

export async function advanceTestClock(api: CloudApi, seconds: number): Promise<ClockAdvance> {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`advanceTestClock: seconds must be a non-negative number (got ${seconds})`);
  return api.call<ClockAdvance>(ADVANCE_ACTION, { Seconds: seconds });
}

// The hub side of the test clock and the offline pacing option: served only when asked for, bad input refused by name.
import { describe, expect, test } from 'vitest';
import { startHub } from '../../hub/index.js';
import { parseHubArgs } from '../../hub/main.js';
import { api, apiError } from '../hub/helpers.js';

describe('AdvanceTestClock', () => {
  test('is not served without testClock', async () => {
    const hub = await startHub();
    try {
      expect(await apiError(hub, 'AdvanceTestClock', { Seconds: 10 })).toBe('InvalidAction');
    } finally {
      await hub.close();
    }
  });

  test('moves the hub clock forward and refuses bad Seconds naming the field', async () => {
    const hub = await startHub({ testClock: true });
    try {
      const before = hub.clock.advanced();
      const r = await api(hub, 'AdvanceTestClock', { Seconds: 90000 });
      expect(r.OffsetSeconds).toBe(90000);
      expect(hub.clock.advanced() - before).toBeGreaterThanOrEqual(90000_000);
      // Only the retention clock moves: what clients see (signatures, NTP, timestamps) keeps real time.
      expect(Math.abs(hub.clock.now() - Date.now())).toBeLessThan(1000);
      expect(Math.abs(hub.clock.wall() - Date.now())).toBeLessThan(1000);
      expect(await apiError(hub, 'AdvanceTestClock', { Seconds: -1 })).toBe('InvalidParameterValue');
      expect(await apiError(hub, 'AdvanceTestClock', { Seconds: '5' })).toBe('InvalidParameterValue');
      expect(await apiError(hub, 'AdvanceTestClock', {})).toBe('MissingParameter');
      // the API still accepts requests signed with the real time after the jump
      expect((await api(hub, 'DescribeProducts', { Offset: 0, Limit: 10 })).TotalCount).toBe(0);
    } finally {
      await hub.close();
    }
  });
});

describe('options', () => {
  test('--test-clock and --offline-pace', () => {
    const { options } = parseHubArgs(['--test-clock', '--offline-pace', '50'], {});
    expect(options.testClock).toBe(true);
    expect(options.offlinePaceMs).toBe(50);
    expect(() => parseHubArgs(['--offline-pace', 'fast'], {})).toThrow(/--offline-pace must be a number of milliseconds/);
  });

  test('offlinePaceMs out of range is refused at start', async () => {
    await expect(startHub({ offlinePaceMs: -5 })).rejects.toThrow(/offlinePaceMs must be an integer/);
  });
});

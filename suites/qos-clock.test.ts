/**
 * The tests that move the hub clock: the model-based property over random CONNECT/SUBSCRIBE/PUBLISH/PublishMessage/
 * PUBACK/DISCONNECT/clock sequences (suites/qos/), and the 24 h expiry of stored messages and sessions. The clock is
 * the whole hub's, so a jump of a day would expire what the other suites' sessions hold while they run: this file runs
 * in the conformance-exclusive project, after the others and alone. A failing sequence shrinks and is saved as a
 * replay file (hubcheck replay FILE).
 */
import fc from 'fast-check';
import path from 'node:path';
import { expect } from 'vitest';
import type { ReqId } from '../specs/requirements/index.js';
import { commandArbitraries, describeCommand, type CommandData, type Recorder } from './qos/commands.js';
import { ghostDeliveries } from './qos/barriers.js';
import { Model } from './qos/model.js';
import { cloudPublish, offlineSession, topicOf, untilOffline } from './qos/offline.js';
import { runSequence, writeReplay } from './qos/replay.js';
import { SYNC_TOPIC, World } from './qos/world.js';
import { currentTarget, numRuns, req, seedFor, type Harness } from './support/harness.js';
import { useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const MODEL_DEVICES = ['d0', 'd1', 'd2'];
const fx = useProduct('qosclk', {
  devices: [...MODEL_DEVICES, 'x8', 'x9'],
  policies: [{ name: 'a', privilege: 3 }, { name: 'b', privilege: 3 }, { name: SYNC_TOPIC, privilege: 3 }],
});

const target = currentTarget();
const pace = target.limits.offlinePaceMs;
/** With --long and no test clock, the 24 h tests wait for real: their timeout must cover it. */
const clockTimeout = (hours: number) => (target.capabilities.includes('test-clock') ? 60_000 : hours * 3600_000 + 120_000);

function world(h: Harness): World {
  return new World({
    mqttUrl: h.target.endpoints.mqtt,
    api: { endpoint: h.target.endpoints.api, ...h.target.cloudApi },
    devices: MODEL_DEVICES.map((n) => fx.device(n)),
    trace: h.trace,
    paceMs: h.target.limits.offlinePaceMs,
  });
}

/** Where replay files go: <reportDir>/replays under hubcheck run, reports/replays under plain npm test / vitest. */
function replayDir(h: Harness): string {
  return h.target.reportDir ? path.join(h.target.reportDir, 'replays') : path.join(process.cwd(), 'reports', 'replays');
}

/** The model-based property: random sequences, shrunk on failure, the minimal one saved and re-run for evidence. */
async function modelProperty(h: Harness, title: string, o: { clock: boolean; runs: number; maxCommands: number }): Promise<void> {
  const w = world(h);
  const waitMs = await w.calibrate();
  h.trace.add('property', `owed messages are awaited ${waitMs} ms (+ pacing) before they count as missing`);
  const recorder: Recorder = { current: [] };
  let failing: { commands: CommandData[]; error: string } | undefined;
  let run = 0;
  const property = fc.asyncProperty(fc.commands(commandArbitraries(MODEL_DEVICES.length, { testClock: o.clock }, recorder), { maxCommands: o.maxCommands, size: 'max' }), async (cmds) => {
    recorder.current = [];
    const model = new Model(MODEL_DEVICES.length, `r${++run}`);
    try {
      await w.reset();
      await fc.asyncModelRun(() => ({ model, real: w }), cmds);
    } catch (e) {
      failing = { commands: [...recorder.current], error: (e as Error).message };
      throw e;
    } finally {
      await w.close();
    }
  });
  const details = await fc.check(property, { numRuns: numRuns(o.runs), interruptAfterTimeLimit: 300_000, ...seedFor(h.ctx.task.name) });
  if (!details.failed) return;
  const shrunk = failing ?? { commands: [], error: String(details.errorInstance) };
  const file = writeReplay(replayDir(h), {
    version: 1,
    test: title,
    seed: details.seed,
    path: details.counterexamplePath ?? '',
    error: shrunk.error.split('\n')[0]!,
    devices: MODEL_DEVICES.length,
    topicClasses: ['a', 'b', SYNC_TOPIC],
    target: { name: h.target.name, launcher: h.target.launcher, faults: h.target.faults },
    commands: shrunk.commands,
  });
  const transcript = shrunk.commands.map((c, i) => `  ${i + 1}. ${describeCommand(c)}`).join('\n');
  // Re-run the minimal sequence alone so the evidence holds exactly its packets.
  h.trace.add('property', `minimal sequence (${shrunk.commands.length} commands, seed ${details.seed}, path ${details.counterexamplePath}), saved to ${file}:\n${transcript}`);
  await runSequence(w, MODEL_DEVICES.length, 'replay', shrunk.commands).catch((e: Error) => h.trace.add('property', `re-run: ${e.message}`));
  await w.close();
  throw new Error(`a sequence of ${shrunk.commands.length} commands breaks the model (replay: hubcheck replay ${file}):\n${transcript}\n${shrunk.error}`);
}

/**
 * One property: with the test clock the sequences also advance the hub clock (and the test proves the 24 h
 * expiry too); without it they never wait for the clock, and QOS-022/023 are left to the example tests (--long).
 */
const withClock = target.capabilities.includes('test-clock');
const MODEL_IDS: ReqId[] = ['QOS-002', 'QOS-003', 'QOS-005', 'QOS-006', 'QOS-008', 'QOS-015', 'QOS-016', 'QOS-017', 'QOS-018', 'QOS-019', 'QOS-024', 'LIM-010', 'API-029', 'API-030', 'API-031', ...(withClock ? (['QOS-022', 'QOS-023'] as const) : [])];
const MODEL_TITLE = `model: random CONNECT/SUBSCRIBE/PUBLISH/PublishMessage/PUBACK/DISCONNECT${withClock ? '/clock' : ''} sequences over 3 devices keep QoS 1 at least once, QoS 0 at most once, order, DUP${withClock ? ', 24 h expiry' : ''} and sessions`;
req(MODEL_IDS, MODEL_TITLE, (h) => modelProperty(h, MODEL_TITLE, { clock: withClock, runs: 300, maxCommands: 15 }), { timeout: 600_000 });

req(['QOS-022'], 'a stored QoS 1 message older than 24 h is not delivered; the session itself survives', async (h) => {
  const c = fx.device('x8');
  await offlineSession(h, c);
  const d = await h.device(c, { clean: false, autoAck: false });
  expect(await cloudPublish(h, c, 'old')).toBe('ok');
  expect(await d.waitFor((m) => m.payload.toString() === 'old', ROUND_TRIP_LIMIT_MS), 'delivered while online').toBeDefined();
  await h.advanceClock(23 * 3600); // the message is 23 h old, unacknowledged
  await d.end();
  await untilOffline(h, c);
  await h.advanceClock(2 * 3600); // 25 h old; the session has been offline only 2 h
  expect(await cloudPublish(h, c, 'fresh'), 'a message stored now, behind the old one').toBe('LimitExceeded.MessageSaved');
  const back = await h.device(c, { clean: false });
  expect(back.sessionPresent, 'the session (offline 2 h) is kept').toBe(true);
  // stored messages are resent in the order they were stored: once the fresh one is here, the old one would be too
  expect(await back.waitFor((m) => m.payload.toString() === 'fresh', ROUND_TRIP_LIMIT_MS + pace * 2), 'the message stored 0 h ago').toBeDefined();
  expect(back.messages.filter((m) => m.payload.toString() === 'old'), 'a message stored 25 h ago was delivered').toEqual([]);
}, { timeout: clockTimeout(25) });

req(['QOS-023'], 'a session offline for more than 24 h is gone: SessionPresent 0 and no subscriptions; 23 h is not enough', async (h) => {
  const c = fx.device('x9');
  await offlineSession(h, c);
  await h.advanceClock(23 * 3600);
  const kept = await h.device(c, { clean: false });
  expect(kept.sessionPresent, 'after 23 h offline the session is still there').toBe(true);
  await kept.end();
  await untilOffline(h, c);
  await h.advanceClock(25 * 3600);
  const d = await h.device(c, { clean: false });
  expect(d.sessionPresent, 'after 25 h offline the session must be gone').toBe(false);
  expect(await ghostDeliveries(d, topicOf(c, 'a')), 'a subscription of the expired session still delivers').toEqual([]);
}, { timeout: clockTimeout(49) });

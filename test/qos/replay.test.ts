// Replay files round-trip, and `hubcheck replay FILE` re-runs a fault's minimal sequence through the real CLI.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readReplay, slug, writeReplay, type ReplayFile } from '../../suites/qos/replay.js';
import { hubcheck } from '../cli/helpers.js';

/** The minimal sequence the no-dup-on-redelivery fault shrinks to: receive without PUBACK, leave, come back. */
const NO_DUP: ReplayFile = {
  version: 1,
  test: '[QOS-018] model: hand-written',
  seed: 42,
  path: '0:1',
  error: 'd0 received r1:1 again without DUP = 1',
  devices: 1,
  topicClasses: ['a', 'b', 'sync'],
  target: { name: 'reference hub', launcher: 'embedded', faults: ['no-dup-on-redelivery'] },
  commands: [
    { kind: 'connect', d: 0, clean: false, autoAck: false },
    { kind: 'subscribe', d: 0, topic: 'a', qos: 1 },
    { kind: 'publish', d: 0, topic: 'a', qos: 1 },
    { kind: 'disconnect', d: 0 },
    { kind: 'connect', d: 0, clean: false, autoAck: true },
  ],
};

describe('replay files', () => {
  test('write then read gives the same sequence; the name comes from the title and the faults', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-replay-'));
    const file = writeReplay(dir, NO_DUP);
    expect(path.basename(file)).toBe('model-hand-written--no-dup-on-redelivery.json');
    expect(readReplay(file)).toEqual(NO_DUP);
    expect(slug('[A-1, B-2] Hello, World!')).toBe('hello-world');
  });

  test('a bad file is refused naming the field', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-replay-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...NO_DUP, commands: [{ kind: 'connect', d: 3, clean: true, autoAck: true }] }));
    expect(() => readReplay(bad)).toThrow(/commands\[0\]\.d: device 3 but the file declares 1 devices/);
    writeFileSync(bad, 'not json');
    expect(() => readReplay(bad)).toThrow(/not a readable JSON file/);
  });
});

describe('hubcheck replay', () => {
  test('the fault\'s minimal sequence still fails (exit 1) and prints each command with its packets', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-replay-'));
    const file = writeReplay(dir, NO_DUP);
    const r = await hubcheck(['replay', file], 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('embedded reference hub (faults: no-dup-on-redelivery)');
    expect(r.stdout).toMatch(/5\. d0: CONNECT CleanSession=0/);
    expect(r.stdout).toMatch(/← PUBLISH topic="[^"]+\/d0\/a" qos=1/);
    expect(r.stdout).toMatch(/again without DUP = 1/);
    expect(r.stdout).toMatch(/still fails/);
  });

  test('the same sequence passes without the fault (exit 0)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-replay-'));
    const file = writeReplay(dir, { ...NO_DUP, test: 'clean', target: { ...NO_DUP.target, faults: [] } });
    const r = await hubcheck(['replay', file], 120_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dup=true/);
    expect(r.stdout).toMatch(/passes/);
  });

  test('a malformed file is bad input (exit 2) naming the field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hubcheck-replay-'));
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...NO_DUP, commands: [{ kind: 'publish', d: 0, topic: 'nope', qos: 1 }] }));
    const r = await hubcheck(['replay', bad], 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/commands\[0\]\.topic: expected one of a, b/);
    expect(readFileSync(bad, 'utf8')).toContain('nope');
  });
});

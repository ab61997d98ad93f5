// The command registry: every kind is data with a precondition, a protocol-action text and a parser for replay files.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkCommand, commandArbitraries, describeCommand, parseCommand, REGISTRY, type CommandData } from '../../suites/qos/commands.js';
import { Model } from '../../suites/qos/model.js';

const SAMPLES: CommandData[] = [
  { kind: 'connect', d: 0, clean: false, autoAck: false },
  { kind: 'disconnect', d: 0 },
  { kind: 'drop', d: 1 },
  { kind: 'subscribe', d: 0, topic: 'a', qos: 2 },
  { kind: 'unsubscribe', d: 0, topic: 'b' },
  { kind: 'publish', d: 2, topic: 'a', qos: 1 },
  { kind: 'burst', d: 0, topic: 'a' },
  { kind: 'cloudPublish', d: 1, topic: 'b', qos: 0 },
  { kind: 'ack', d: 0 },
  { kind: 'advanceClock', hours: 25 },
];

describe('registry', () => {
  test('every kind has a sample, and each reads like a protocol action', () => {
    expect(SAMPLES.map((c) => c.kind).sort()).toEqual(Object.keys(REGISTRY).sort());
    expect(SAMPLES.map(describeCommand)).toEqual([
      'd0: CONNECT CleanSession=0 (withholding PUBACKs)',
      'd0: DISCONNECT',
      'd1: connection dropped (no DISCONNECT)',
      'd0: SUBSCRIBE a@2',
      'd0: UNSUBSCRIBE b',
      'd2: PUBLISH a QoS 1',
      'd0: 151 × PUBLISH a QoS 1',
      'cloud: PublishMessage to d1 b Qos 0',
      'd0: PUBACK every withheld message',
      'test clock: advance 25 h',
    ]);
  });

  test('preconditions follow the model: device actions need a connection, ack needs withheld PUBACKs', () => {
    const m = new Model(3, 'r');
    expect(checkCommand(m, { kind: 'publish', d: 0, topic: 'a', qos: 1 })).toBe(false);
    expect(checkCommand(m, { kind: 'cloudPublish', d: 0, topic: 'a', qos: 1 })).toBe(true);
    m.connect(0, true, true);
    expect(checkCommand(m, { kind: 'publish', d: 0, topic: 'a', qos: 1 })).toBe(true);
    expect(checkCommand(m, { kind: 'ack', d: 0 })).toBe(false);
    m.connect(0, true, false);
    expect(checkCommand(m, { kind: 'ack', d: 0 })).toBe(true);
  });

  test('parseCommand accepts every sample and names the bad field otherwise', () => {
    for (const c of SAMPLES) expect(parseCommand(JSON.parse(JSON.stringify(c)), 'c')).toEqual(c);
    expect(() => parseCommand({ kind: 'teleport' }, 'x')).toThrow(/x\.kind: expected one of connect/);
    expect(() => parseCommand({ kind: 'publish', d: 0, topic: 'z', qos: 1 }, 'x')).toThrow(/x\.topic: expected one of a, b/);
    expect(() => parseCommand({ kind: 'subscribe', d: 0, topic: 'a', qos: 3 }, 'x')).toThrow(/x\.qos: expected an integer from 0 to 2/);
    expect(() => parseCommand({ kind: 'connect', d: 0, clean: 'yes', autoAck: true }, 'x')).toThrow(/x\.clean: expected true or false/);
  });

  test('generated commands are registry data and round-trip through JSON', () => {
    const recorder = { current: [] as CommandData[] };
    const arb = fc.commands(commandArbitraries(3, { testClock: true }, recorder), { maxCommands: 15 });
    for (const cmds of fc.sample(arb, 30)) {
      for (const c of cmds) {
        const wrapped = c as unknown as { data?: CommandData; cmd?: { data: CommandData } };
        const data = (wrapped.cmd?.data ?? wrapped.data)!;
        expect(parseCommand(JSON.parse(JSON.stringify(data)), 'c')).toEqual(data);
        expect(c.toString()).toBe(describeCommand(data));
      }
    }
  });
});

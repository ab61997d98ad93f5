// Units of the fleet engine and the load command's inputs: stage ramps, splitting, framing, scenario overrides and bad input.
import { describe, expect, it } from 'vitest';
import { apportion, planEngines } from '../../load/fleet/coordinator.js';
import { targetAt } from '../../load/fleet/engine.js';
import mqttPacket from 'mqtt-packet';
import { connectPacket, head, headLength, parseHead, patchPublish, publishFrame, publishPacket, publishTemplate, splitFrames, subscribePacket, type Incoming } from '../../load/fleet/frames.js';
import { checkLoopback, resolveScenario, segmentOf } from '../../load/run.js';
import { SCENARIOS } from '../../load/scenarios/index.js';
import { parseLocalAddresses, parseThresholds } from '../../src/cli/load-command.js';

describe('stages and splitting', () => {
  it('ramps linearly within a stage and holds after the last', () => {
    const stages = [{ duration: 10, target: 100 }, { duration: 5, target: 100 }, { duration: 5, target: 0 }];
    expect(targetAt(stages, 0)).toBe(0);
    expect(targetAt(stages, 5)).toBe(50);
    expect(targetAt(stages, 12)).toBe(100);
    expect(targetAt(stages, 17.5)).toBe(50);
    expect(targetAt(stages, 99)).toBe(0);
  });

  it('apportions exactly, by largest remainders', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(7, [3, 1]).reduce((a, b) => a + b)).toBe(7);
    expect(apportion(0, [1, 1])).toEqual([0, 0]);
  });

  it('plans engines whose devices, targets and rates add up to the scenario', () => {
    const s = resolveScenario({ scenario: 'telemetry', devices: 101 });
    const devices = Array.from({ length: 101 }, (_, i) => ({ productId: 'ABCDEFGHIJ', deviceName: `d${i}`, psk: 'AAAA' }));
    const specs = planEngines({ scenario: s, host: '127.0.0.1', port: 1, localAddresses: ['127.0.0.1', '127.0.0.2'], devices, processes: 0, threads: 3 }, 3, 0);
    expect(specs.reduce((a, x) => a + (x.devices as unknown[]).length, 0)).toBe(101);
    expect(specs.reduce((a, x) => a + x.stages[0]!.target, 0)).toBe(101);
    expect(specs.reduce((a, x) => a + x.telemetry!.rate, 0)).toBeCloseTo(s.telemetry!.rate);
    expect(specs[1]!.localAddresses[0]).toBe('127.0.0.2'); // engines start on different source addresses
  });

  it('segments a scenario into slices that add up', () => {
    const s = resolveScenario({ scenario: 'telemetry', devices: 10 });
    const parts = [0, 1, 2, 3].map((i) => segmentOf(s, [i, 4]));
    expect(parts.map((p) => p.scenario.devices)).toEqual([3, 3, 2, 2]);
    expect(parts.map((p) => p.offset)).toEqual([0, 3, 6, 8]);
    expect(parts.reduce((a, p) => a + p.scenario.telemetry!.rate, 0)).toBeCloseTo(s.telemetry!.rate);
    expect(() => segmentOf(s, [4, 4])).toThrow(/0 <= I < N/);
  });
});

describe('framing', () => {
  it('splits packets across arbitrary chunk boundaries', () => {
    const bytes = Buffer.concat([Buffer.from([0x20, 0x02, 0x00, 0x00]), publishPacket('a/b', 'x'.repeat(300), 1, 7), Buffer.from([0x40, 0x02, 0x00, 0x07]), Buffer.from([0xd0, 0x00])]);
    for (const cut of [1, 2, 5, 100, 303, bytes.length - 1]) {
      const got: Incoming[] = [];
      const tail = splitFrames(bytes.subarray(0, cut), (p) => got.push(p));
      const rest = tail ? Buffer.concat([tail, bytes.subarray(cut)]) : bytes.subarray(cut);
      expect(splitFrames(rest, (p) => got.push(p))).toBeNull();
      expect(got.map((p) => p.type)).toEqual(['connack', 'publish', 'puback', 'pingresp']);
      const pub = got[1] as Extract<Incoming, { type: 'publish' }>;
      expect([pub.topic, pub.qos, pub.messageId, pub.payload.length]).toEqual(['a/b', 1, 7, 300]);
    }
  });

  it('encodes CONNECT, SUBSCRIBE and PUBLISH exactly as mqtt-packet does', () => {
    expect(connectPacket('ABCDEFGHIJdev1', 'ABCDEFGHIJdev1;12010126;ABCDE;1765094400', 'x'.repeat(64) + ';hmacsha256', 300)).toEqual(mqttPacket.generate({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'ABCDEFGHIJdev1', keepalive: 300,
      username: 'ABCDEFGHIJdev1;12010126;ABCDE;1765094400', password: Buffer.from('x'.repeat(64) + ';hmacsha256'),
    }));
    const subs = [{ topic: 'ABCDEFGHIJ/dev1/data', qos: 1 as const }, { topic: '$rrpc/rxd/ABCDEFGHIJ/dev1/+', qos: 0 as const }];
    expect(subscribePacket(77, subs)).toEqual(mqttPacket.generate({ cmd: 'subscribe', messageId: 77, subscriptions: subs }));
    for (const [payload, qos] of [['{"a":1}', 0], ['x'.repeat(200), 1], [Buffer.alloc(20_000, 7), 1]] as const) {
      expect(publishPacket('a/b/c', payload, qos, 9)).toEqual(mqttPacket.generate({ cmd: 'publish', topic: 'a/b/c', payload, qos, dup: false, retain: false, ...(qos ? { messageId: 9 } : {}) } as mqttPacket.IPublishPacket));
    }
  });

  it('builds the same PUBLISH bytes as mqtt-packet on the hot path', () => {
    for (const [size, qos] of [[24, 0], [128, 1], [300, 1], [16_000, 1]] as const) {
      const head = '12,1700000000000.125,';
      expect(publishFrame('ABCDEFGHIJ/dev1/data', qos, 513, head, size)).toEqual(publishPacket('ABCDEFGHIJ/dev1/data', head + 'x'.repeat(size - head.length), qos, 513));
    }
  });

  it('patches a reused PUBLISH template into the same bytes publishFrame builds, and reads the head back', () => {
    for (const [size, qos] of [[64, 0], [256, 1], [300, 1]] as const) {
      const t = publishTemplate('ABCDEFGHIJ/dev1/data', qos, size, 16);
      for (const [seq, ms, id] of [[123_456, 1_765_094_400_000.125, 513], [7, 1_765_094_400_001.5, 65535], [0, 1_765_094_400_002, 1]] as const) {
        expect(headLength(seq, ms)).toBe(`${seq},${ms.toFixed(3)},`.length);
        patchPublish(t, id, seq, ms);
        expect(t.frame).toEqual(publishFrame('ABCDEFGHIJ/dev1/data', qos, id, `${seq},${ms.toFixed(3)},`, size));
        parseHead(t.buf, t.payloadAt, t.buf.length);
        expect([head.seq, head.ms]).toEqual([seq, Math.round(ms * 1000) / 1000]);
      }
    }
    parseHead(Buffer.from('abc,1,'), 0, 6);
    expect(head.seq).toBe(-1);
  });

  it('refuses a malformed remaining length', () => {
    expect(() => splitFrames(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), () => {})).toThrow(/remaining length/);
  });
});

describe('scenario overrides and bad input', () => {
  it('every scenario in the catalogue is valid', () => {
    for (const name of Object.keys(SCENARIOS)) expect(() => resolveScenario({ scenario: name })).not.toThrow();
  });

  it('scales stage targets with --devices and moves QoS thresholds with --qos 0', () => {
    const s = resolveScenario({ scenario: 'telemetry', devices: 10, qos: 0, rate: 50, duration: 1 });
    expect(s.stages.map((x) => x.target)).toEqual([10, 10]);
    expect(s.stages[1]!.duration).toBe(1);
    expect(s.telemetry).toMatchObject({ qos: 0, rate: 50 });
    expect(Object.keys(s.thresholds)).toContain('delivery_latency{qos:0}');
    expect(Object.keys(s.thresholds)).not.toContain('qos1_lost');
  });

  it('names the field and the fix', () => {
    expect(() => resolveScenario({ scenario: 'nope' })).toThrow(/unknown scenario "nope"; use one of: connect-storm/);
    expect(() => resolveScenario({ scenario: 'idle-hold', rate: 5 })).toThrow(/--rate: scenario idle-hold sends no traffic/);
    expect(() => resolveScenario({ scenario: 'idle-hold', qos: 1 })).toThrow(/--qos: scenario idle-hold has no telemetry/);
    expect(() => resolveScenario({ scenario: 'telemetry', thresholds: { x: ['p99<3'] } })).toThrow(/thresholds\['x'\]: "p99<3" is not an expression/);
    expect(() => resolveScenario({ scenario: 'telemetry', connectRate: 0 })).toThrow(/ramp.rate: connects per second must be > 0/);
  });

  it('keeps traffic on loopback', () => {
    expect(() => checkLoopback('endpoints.mqtt', 'mqtt://10.0.0.5:1883')).toThrow(/only to 127.0.0.0\/8/);
    expect(() => checkLoopback('endpoints.mqtt', 'mqtt://127.0.0.3:1883')).not.toThrow();
    expect(parseLocalAddresses('127.0.0.1-3,127.0.1.9')).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.1.9']);
    expect(() => parseLocalAddresses('192.168.1.2')).toThrow(/127.x.y.z/);
  });

  it('parses thresholds whose metric has labels', () => {
    expect(parseThresholds(['delivery_latency{qos:1}:p(99)<100', 'qos1_lost:count==0'])).toEqual({ 'delivery_latency{qos:1}': ['p(99)<100'], qos1_lost: ['count==0'] });
    expect(() => parseThresholds(['nothing'])).toThrow(/METRIC:EXPRESSION/);
  });
});

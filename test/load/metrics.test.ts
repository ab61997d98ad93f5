// HDR histograms merge losslessly across shards; SLO thresholds judge the merged metrics; compare finds regressions.
import { describe, expect, it } from 'vitest';
import { FastRecorder, encode, mergeEncoded, newHistogram, recordUs } from '../../load/metrics/histogram.js';
import { compareReports } from '../../load/report/compare.js';
import { mergeReports } from '../../load/report/merge.js';
import { rates, trends } from '../../load/report/aggregate.js';
import { LOAD_REPORT_SCHEMA, type LoadReport } from '../../load/report/model.js';
import { evaluate } from '../../load/slo.js';

function report(values: number[], counters: Record<string, number>, id = 'r'): LoadReport {
  const h = newHistogram();
  for (const v of values) recordUs(h, v * 1000);
  const histograms = { 'delivery_latency{qos:1}': encode(h) };
  return {
    schema: LOAD_REPORT_SCHEMA, runId: id, scenario: 'telemetry', description: '', engine: 'fleet', target: 't', startedAt: '', durationS: 10,
    config: {}, notes: [], metrics: { counters, rates: rates(counters), trends: trends(histograms), histograms },
    resources: { hubMeasured: 'none' }, timeline: [{ t: 1, sessions: 5, pending: 0, counters, histograms, latency: {} }], thresholds: [], passed: true,
  };
}

describe('histograms', () => {
  it('the hot-path recorder folds into exactly the HDR histogram direct recording gives', () => {
    const values = [0, 0.4, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4097, 123_456.7, 9_999_999, 3_600_000_000, 5e9, NaN];
    for (let i = 0; i < 5000; i++) values.push((i * 7919) % 250_000);
    const direct = newHistogram('fast');
    const r = new FastRecorder();
    for (const v of values) { recordUs(direct, Number.isNaN(v) ? 1 : v); r.record(v); }
    const folded = newHistogram('fast');
    r.foldInto(folded);
    expect(folded.totalCount).toBe(direct.totalCount);
    for (const p of [0, 1, 10, 50, 90, 99, 99.9, 100]) expect(folded.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
    expect(r.total).toBe(0); // folding clears it for the next interval
  });

  it('merged shard histograms give the percentiles of all samples together', () => {
    const all = Array.from({ length: 4000 }, (_, i) => 1 + ((i * 7919) % 1000));
    const shards = [0, 1, 2, 3].map((k) => {
      const h = newHistogram();
      for (const v of all.filter((_, i) => i % 4 === k)) recordUs(h, v * 1000);
      return encode(h);
    });
    const whole = newHistogram();
    for (const v of all) recordUs(whole, v * 1000);
    const merged = mergeEncoded(shards);
    expect(merged.totalCount).toBe(4000);
    for (const p of [50, 90, 99, 99.9]) expect(merged.getValueAtPercentile(p)).toBe(whole.getValueAtPercentile(p));
  });

  it('mergeReports adds counters and histograms and judges thresholds on the whole', () => {
    const a = report([10, 20, 30], { mqtt_messages_sent: 3, qos1_lost: 0 }, 'a');
    const b = report([400], { mqtt_messages_sent: 1, qos1_lost: 1 }, 'b');
    const m = mergeReports([a, b], { 'delivery_latency{qos:1}': ['p(99)<250'], qos1_lost: ['count==0'] });
    expect(m.metrics.counters['mqtt_messages_sent']).toBe(4);
    expect(m.metrics.trends['delivery_latency{qos:1}']!.count).toBe(4);
    expect(m.metrics.trends['delivery_latency{qos:1}']!.max).toBeGreaterThan(399);
    expect(m.shards).toBe(2);
    expect(m.timeline[0]!.sessions).toBe(10);
    expect(m.passed).toBe(false);
    expect(m.thresholds.filter((t) => !t.ok).map((t) => t.metric).sort()).toEqual(['delivery_latency{qos:1}', 'qos1_lost']);
  });
});

describe('merging the shards of a segmented run', () => {
  const shard = (segment: string, devices: number, id: string): LoadReport => {
    const r = report([5], { mqtt_connects: devices }, id);
    r.config = { devices, segment };
    return r;
  };

  it('needs every segment of I/N once, and counts the whole fleet', () => {
    const m = mergeReports([shard('2/3', 100, 'c'), shard('0/3', 101, 'a'), shard('1/3', 100, 'b')], {});
    expect(m.config['devices']).toBe(301);
    expect(m.config['segment']).toBeUndefined();
    expect(m.metrics.counters['mqtt_connects']).toBe(301);
    expect(m.shards).toBe(3);
  });

  it('refuses a set with a segment missing, doubled, cut another way, or mixed with a whole run', () => {
    expect(() => mergeReports([shard('0/3', 1, 'a'), shard('2/3', 1, 'c')], {})).toThrow(/segments? 1\/3 missing/);
    expect(() => mergeReports([shard('0/2', 1, 'a'), shard('0/2', 1, 'b'), shard('1/2', 1, 'c')], {})).toThrow(/segment 0\/2 appears twice \(a and b\)/);
    expect(() => mergeReports([shard('0/2', 1, 'a'), shard('1/3', 1, 'b')], {})).toThrow(/cut in different ways/);
    expect(() => mergeReports([shard('0/2', 1, 'a'), report([5], {}, 'whole')], {})).toThrow(/whole ran no --segment/);
  });

  it('merges reports of whole runs as given', () => {
    expect(mergeReports([report([5], { mqtt_connects: 2 }, 'a'), report([5], { mqtt_connects: 3 }, 'b')], {}).metrics.counters['mqtt_connects']).toBe(5);
  });
});

describe('SLO thresholds', () => {
  it('judges percentiles, counts and rates, and fails on metrics never recorded', () => {
    const r = report([1, 2, 3, 100], { mqtt_connects: 99, mqtt_connect_attempts: 100, qos1_lost: 0 });
    const v = evaluate({
      'delivery_latency{qos:1}': ['p(50)<5', 'max<50'],
      mqtt_connect_success: ['rate>0.98', 'rate>0.995'],
      qos1_lost: ['count==0'],
      never: ['p(99)<1'],
    }, r.metrics);
    expect(v.map((x) => x.ok)).toEqual([true, false, true, false, true, false]);
    expect(v[5]!.note).toMatch(/never recorded/);
  });
});

describe('report compare', () => {
  it('reports latency and loss regressions beyond the tolerance, not improvements', () => {
    const a = report([10, 10, 10, 12], { qos1_lost: 0, mqtt_connects: 100, mqtt_connect_attempts: 100 });
    const b = report([10, 30, 40, 50], { qos1_lost: 5, mqtt_connects: 90, mqtt_connect_attempts: 100 });
    const regs = compareReports(a, b, 0.1);
    const names = regs.map((r) => r.metric);
    expect(names).toContain('delivery_latency{qos:1}.p99');
    expect(names).toContain('qos1_lost');
    expect(names).toContain('mqtt_connect_success');
    expect(compareReports(b, a, 0.1).map((r) => r.metric)).not.toContain('delivery_latency{qos:1}.p99');
    expect(compareReports(a, a, 0.1)).toEqual([]);
  });
});

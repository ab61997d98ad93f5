// The k6 runtime emulation: thresholds as k6 documents them, and every load/k6 script run through it against the embedded hub.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runK6 } from '../../load/k6-engine.js';
import { EXIT, runScript } from '../../load/k6-runtime/runner.js';
import { CounterSink, RateSink, TrendSink } from '../../load/k6-runtime/sinks.js';
import { MetricStore } from '../../load/k6-runtime/store.js';
import { buildSummary, toSummaryExport } from '../../load/k6-runtime/summary.js';
import { checkAggregation, evaluate, parseMetricKey, parseThreshold } from '../../load/k6-runtime/thresholds.js';
import { ROOT } from '../../src/runner/paths.js';

const verdict = (expr: string, values: Record<string, number>) => evaluate(parseThreshold(expr), values)?.ok;

describe('k6 thresholds', () => {
  it('parses the documented forms, spaces and all operators', () => {
    expect(parseThreshold('p(95)<200')).toMatchObject({ aggregation: 'p(95)', percentile: 95, operator: '<', value: 200 });
    expect(parseThreshold('p(99.9) < 1000')).toMatchObject({ aggregation: 'p(99.9)', value: 1000 });
    expect(parseThreshold('rate>=0.99')).toMatchObject({ aggregation: 'rate', operator: '>=' });
    expect(parseThreshold('count===0').operator).toBe('===');
    expect(parseThreshold({ threshold: 'rate<0.01', abortOnFail: true, delayAbortEval: '10s' })).toMatchObject({ abortOnFail: true, delayAbortEvalS: 10 });
    expect(() => parseThreshold('p95<200')).toThrow(/unknown aggregation 'p95'/);
    expect(() => parseThreshold('avg 200')).toThrow(/no operator/);
    expect(() => parseThreshold('avg<fast')).toThrow(/not a number/);
    expect(() => checkAggregation(parseThreshold('p(95)<1'), 'hits', 'counter')).toThrow(/counter metric has no 'p\(95\)'/);
    expect(() => checkAggregation(parseThreshold('value<1'), 'checks', 'rate')).toThrow(/use rate/);
  });

  it("evaluates k6's documented examples", () => {
    expect(verdict('p(95)<200', { 'p(95)': 150 })).toBe(true);
    expect(verdict('p(95)<200', { 'p(95)': 200 })).toBe(false);
    expect(verdict('rate<0.01', { rate: 0.02 })).toBe(false);
    expect(verdict('rate>0.99', { rate: 1 })).toBe(true);
    expect(verdict('count>10', { count: 10 })).toBe(false);
    expect(verdict('value<4000', { value: 3999 })).toBe(true);
    expect(verdict('count!=0', { count: 0 })).toBe(false);
  });

  it("takes percentiles as k6's TrendSink does (linear interpolation between ranks)", () => {
    const t = new TrendSink();
    for (const v of [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]) t.add(v);
    const v = t.values(1, [90, 99]);
    expect(v['p(90)']).toBeCloseTo(9.1);
    expect(v['p(99)']).toBeCloseTo(9.91);
    expect([v['med'], v['min'], v['max'], v['avg']]).toEqual([5.5, 1, 10, 5.5]);
  });

  it('evaluates unused metrics at the end as k6 does: Counter count 0, Rate not at all', () => {
    expect(new CounterSink().values(1)).toEqual({ count: 0, rate: 0 });
    expect(new RateSink().values()).toEqual({ passes: 0, fails: 0 });
    const store = new MetricStore();
    store.define({ name: 'errors', type: 'counter', contains: 'default' });
    store.define({ name: 'ok', type: 'rate', contains: 'default' });
    store.bindThresholds({ errors: ['count>0'], ok: ['rate>0.9'] });
    expect(store.evaluate(1, true).results).toEqual([]); // during the run, empty sinks are skipped
    expect(store.evaluate(1, false).results).toEqual([
      { metric: 'errors', expression: 'count>0', ok: false, value: 0 },
      { metric: 'ok', expression: 'rate>0.9', ok: true, value: null },
    ]);
  });

  it('feeds submetrics by tag, refuses unknown metrics, and exports as --summary-export does', () => {
    expect(parseMetricKey('delivery_latency{qos:1,kind:"x"}')).toEqual({ name: 'delivery_latency', tags: { qos: '1', kind: 'x' } });
    const store = new MetricStore();
    store.define({ name: 'lat', type: 'trend', contains: 'time' });
    store.define({ name: 'ok', type: 'rate', contains: 'default' });
    expect(() => store.bindThresholds({ nope: ['count>0'] })).toThrow(/no metric name "nope" found/);
    store.bindThresholds({ 'lat{qos:1}': ['max<50'], ok: ['rate==1'] });
    store.add({ m: 'lat', v: 100, tags: { qos: '0' } });
    store.add({ m: 'lat', v: 20, tags: { qos: '1' } });
    store.add({ m: 'ok', v: 1, tags: {} });
    const results = store.evaluate(1, false).results;
    expect(results.every((r) => r.ok)).toBe(true);
    const exported = toSummaryExport(buildSummary(store, results, 1000, []));
    expect(exported.metrics['lat']!['max']).toBe(100);
    expect(exported.metrics['lat{qos:1}']).toMatchObject({ max: 20, thresholds: { 'max<50': false } }); // false: did not fail
    expect(exported.metrics['ok']).toMatchObject({ value: 1, passes: 1, fails: 0 });
  });
});

describe('k6 runtime: scripts, exit codes', { timeout: 60_000 }, () => {
  const fixture = join(ROOT, 'test/load/fixtures/k6-thresholds.ts');
  const run = (c: string) => runScript({ script: fixture, env: { K6_CASE: c }, maxDurationS: 30 });

  it('runs setup, shared iterations and checks, and passes met thresholds with exit 0', async () => {
    const r = await run('pass');
    expect(r.error).toBeUndefined();
    expect(r.exitCode).toBe(EXIT.ok);
    expect(r.iterations).toBe(4);
    expect(r.summary.metrics['hits']!.values['count']).toBe(4);
    expect(r.summary.root_group.checks).toEqual([expect.objectContaining({ name: 'setup data arrives', passes: 4, fails: 0 })]);
  });

  it('fails a crossed threshold with exit 99, the verdict in the summary', async () => {
    const r = await run('fail');
    expect(r.exitCode).toBe(EXIT.thresholds);
    expect(r.thresholds).toContainEqual({ metric: 'hits', expression: 'count>10', ok: false, value: 4 });
    expect(r.summaryExport.metrics['hits']!.thresholds).toEqual({ 'count>10': true });
  });

  it('aborts a constant-vus run early on abortOnFail, exit 99', async () => {
    const t0 = Date.now();
    const r = await run('abort');
    expect(r.exitCode).toBe(EXIT.thresholds);
    expect(r.error).toMatch(/aborted: thresholds crossed \(good rate>0.5\)/);
    expect(Date.now() - t0).toBeLessThan(15_000); // the scenario asked for 20 s
  });

  it('refuses an aggregation the metric type lacks before running, exit 104', async () => {
    const r = await run('bad');
    expect(r.exitCode).toBe(EXIT.config);
    expect(r.error).toMatch(/counter metric has no 'p\(95\)'/);
    expect(r.iterations).toBe(0);
  });
});

describe('load/k6 scripts on the k6 runtime against the embedded hub', { timeout: 90_000 }, () => {
  const scripts = readdirSync(join(ROOT, 'load/k6')).filter((f) => f.endsWith('.ts') && f !== 'lib.ts' && !f.endsWith('.d.ts')).map((f) => f.replace(/\.ts$/, ''));
  const dir = mkdtempSync(join(tmpdir(), 'hubcheck-k6rt-'));
  // two sessions per VU: several VU threads even at 4 devices
  const small = (scenario: string, extra: Partial<Parameters<typeof runK6>[0]> = {}) =>
    runK6({ scenario, engine: 'k6-runtime', devices: 4, duration: 1, env: { HUBCHECK_SESSIONS_PER_VU: '2' }, reportDir: join(dir, `${scenario}-${Object.keys(extra).join('')}`), ...extra });

  it('covers every script', () => {
    expect(scripts.sort()).toEqual(['connect-storm', 'idle-hold', 'telemetry']);
  });

  it.each(scripts)('%s: connects every device and meets its thresholds', async (scenario) => {
    const o = await small(scenario);
    const c = o.report.metrics.counters;
    expect(o.report.engine).toBe('k6-runtime');
    expect(c['mqtt_connects']).toBe(4);
    expect(c['mqtt_connect_attempts']).toBe(4);
    expect(o.report.metrics.trends['mqtt_connect_duration']!.count).toBe(4);
    expect(o.report.thresholds.length).toBeGreaterThan(0);
    expect(o.report.thresholds.filter((t) => !t.ok)).toEqual([]);
    expect(o.exitCode).toBe(0);
    if (scenario === 'telemetry') {
      const sent = c['mqtt_messages_sent']!;
      expect(sent).toBeGreaterThanOrEqual(4);
      expect(c['mqtt_messages_received']).toBe(sent); // each message once: the extension's counter, not doubled by the script
      expect(o.report.metrics.trends['delivery_latency{qos:1}']!.count).toBe(sent);
      expect(c['qos1_lost']).toBe(0);
    }
  });

  it('fails the connect threshold, exit 1, when the devices are not on the hub', async () => {
    const fixtures = join(dir, 'strangers.csv');
    writeFileSync(fixtures, 'productId,deviceName,psk\nZZZZZZZZZZ,nobody1,AAAAAAAAAAAAAAAAAAAAAA==\nZZZZZZZZZZ,nobody2,AAAAAAAAAAAAAAAAAAAAAA==\n');
    const o = await small('idle-hold', { fixtures, devices: 2 });
    expect(o.report.metrics.counters['mqtt_connects'] ?? 0).toBe(0);
    expect(o.report.thresholds).toContainEqual(expect.objectContaining({ metric: 'mqtt_connect_success', expression: 'rate>0.99', ok: false, value: 0 }));
    expect(o.report.passed).toBe(false);
    expect(o.exitCode).toBe(1);
  });
});

// The load report page renders offline in headless Chromium with its four charts drawn (Playwright + Debian's chromium).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Aggregate, rates, trends } from '../../load/report/aggregate.js';
import { LOAD_REPORT_SCHEMA, type LoadReport } from '../../load/report/model.js';
import { Collector } from '../../load/metrics/collector.js';
import { writeLoadReport } from '../../load/run.js';
import { MAX_CHART_POINTS, charts, downsample } from '../../load/report/html.js';
import type { TimelinePoint } from '../../load/report/model.js';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const required = process.env['CI'] === 'true';

function sampleReport(): LoadReport {
  const agg = new Aggregate();
  for (let t = 1; t <= 20; t++) {
    const c = new Collector();
    c.gauges['sessions'] = Math.min(100, t * 10);
    c.gauges['pending'] = t < 10 ? 5 : 0;
    c.add('mqtt_connects', t <= 10 ? 10 : 0);
    c.add('mqtt_messages_sent', t > 10 ? 200 : 0);
    c.add('mqtt_messages_received', t > 10 ? 198 : 0);
    if (t === 15) c.add('mqtt_connect_errors', 3);
    for (let i = 0; t > 10 && i < 200; i++) c.recordUs('delivery_latency{qos:1}', (5 + (i % 50) + t) * 1000);
    agg.add('e0', c.drain());
    agg.tick(t);
  }
  const histograms = agg.encodedTotals();
  return {
    schema: LOAD_REPORT_SCHEMA, runId: 'html-test', scenario: 'telemetry', description: 'synthetic', engine: 'fleet', target: 'none', startedAt: new Date(0).toISOString(), durationS: 20,
    config: {}, notes: ['synthetic report for the page test'], metrics: { counters: agg.counters, rates: rates(agg.counters), trends: trends(histograms), histograms },
    resources: { hubMeasured: 'none' }, timeline: agg.timeline, thresholds: [{ metric: 'qos1_lost', expression: 'count==0', value: 0, ok: true }], passed: true,
  };
}

describe('load report page', () => {
  it.skipIf(!required && !existsSync(CHROMIUM))('opens offline in headless Chromium with every chart drawn', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubcheck-html-'));
    const { html } = await writeLoadReport(dir, sampleReport());
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
      await page.goto(pathToFileURL(html).href);
      for (const id of ['chart-sessions', 'chart-throughput', 'chart-latency', 'chart-errors']) {
        const paths = await page.locator(`svg#${id} path.series`).count();
        expect(paths, id).toBeGreaterThan(0);
        const box = await page.locator(`svg#${id}`).boundingBox();
        expect(box!.width).toBeGreaterThan(300);
      }
      const latency = await page.locator('svg#chart-latency path.series').evaluateAll((ps) => ps.map((p) => p.getAttribute('data-series')));
      expect(latency).toEqual(['delivery_latency{qos:1} p50', 'delivery_latency{qos:1} p95', 'delivery_latency{qos:1} p99']);
      expect(await page.locator('p.pass').count()).toBe(1);
      expect(requests).toEqual([]); // nothing fetched from a network: the page is self-contained
      await page.screenshot({ path: join(dir, 'load.png'), fullPage: true });
      console.log(`screenshot: ${join(dir, 'load.png')}`);
    } finally {
      await browser.close();
    }
  });

  it('an hour-long run charts at a bounded number of points, counts and peaks kept', () => {
    const tl: TimelinePoint[] = Array.from({ length: 3600 }, (_, i) => ({
      t: i + 1, sessions: i === 1234 ? 9999 : 100, pending: 0, counters: { mqtt_connects: 50, ...(i === 2000 ? { mqtt_connect_errors: 7 } : {}) },
      histograms: {}, latency: { 'delivery_latency{qos:1}': { p50: 2, p95: 5, p99: i === 3000 ? 400 : 9 } },
      hub: { cpuPct: 50, rssMiB: 300 + (i === 10 ? 100 : 0) },
    }));
    const d = downsample(tl);
    expect(d.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(d.reduce((a, p) => a + p.counters['mqtt_connects']!, 0)).toBe(3600 * 50);
    expect(d.reduce((a, p) => a + (p.counters['mqtt_connect_errors'] ?? 0), 0)).toBe(7);
    expect(Math.max(...d.map((p) => p.sessions))).toBe(9999);
    expect(Math.max(...d.map((p) => p.latency['delivery_latency{qos:1}']!.p99))).toBe(400);
    expect(Math.max(...d.map((p) => p.hub!.rssMiB))).toBe(400);
    expect(d.at(-1)!.t).toBe(3600);
    const report = { ...sampleReport(), timeline: tl, resources: { hubMeasured: 'process' as const } };
    const svg = charts(report);
    for (const path of svg.match(/ d="[^"]+"/g)!) expect(path.split('L').length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    // the rate series are drawn from the merged buckets
    const throughput = /id="chart-throughput"[\s\S]*?<\/svg>/.exec(svg)![0];
    expect(throughput).toContain('data-series="connects"');
    expect(svg).toContain('id="chart-memory"');
    expect(svg).toContain('>60 min</text>'); // an hour's axis reads in minutes
    expect(downsample(tl.slice(0, 10))).toHaveLength(10);
  });
});

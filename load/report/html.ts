/** The load report as one self-contained HTML page: inline SVG charts (sessions, throughput, latency percentiles, errors) and tables; opens offline. */
import type { LoadReport, ResourceSummary, TimelinePoint } from './model.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777'];

interface Series { name: string; points: [number, number][] }

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
}

/** A line chart as inline SVG; `id` lets tests find it. */
export function lineChart(id: string, title: string, unit: string, series: Series[]): string {
  const W = 620, H = 236, L = 56, R = 12, T = 44, B = 30;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const x = (v: number) => L + (v / xMax) * (W - L - R);
  const y = (v: number) => T + (1 - v / yMax) * (H - T - B);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = yMax * f;
    return `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
  }).join('');
  // long runs read in minutes (or hours), not "1.7ks"
  const when = (v: number) => (xMax >= 7200 ? `${(v / 3600).toFixed(1)} h` : xMax >= 600 ? `${Math.round(v / 60)} min` : `${fmt(Math.round(v))}s`);
  const xticks = [0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${x(xMax * f)}" y="${H - 10}" text-anchor="middle">${when(xMax * f)}</text>`).join('');
  const lines = series.map((s, i) => {
    if (!s.points.length) return '';
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    return `<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.8"/>`;
  }).join('');
  const legend = series.map((s, i) => `<tspan fill="${COLORS[i % COLORS.length]}">■ ${esc(s.name)}</tspan>`).join('  ');
  const empty = series.every((s) => !s.points.length) ? `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#9ca3af">no samples</text>` : '';
  return `<figure><svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" font-size="11" font-family="sans-serif">
<text x="${L}" y="16" font-weight="bold" font-size="13">${esc(title)} <tspan font-weight="normal" fill="#6b7280">(${esc(unit)})</tspan></text>
<text x="${L}" y="33">${legend}</text>${grid}${xticks}
<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#9ca3af"/>${lines}${empty}</svg></figure>`;
}

/** Points a chart draws at most: an hour at one point a second would be 3,600 points per line, too dense to read (and to render). */
export const MAX_CHART_POINTS = 480;

/**
 * Merges runs of consecutive timeline points into at most `max` points, so a long run charts as clearly as a short one:
 * counts add up over a bucket (rates stay per second, as the bucket's span is its interval), session gauges and latency
 * percentiles keep the bucket's highest value (a spike stays visible), CPU is averaged and memory keeps its highest.
 */
export function downsample(tl: readonly TimelinePoint[], max = MAX_CHART_POINTS): TimelinePoint[] {
  if (tl.length <= max) return [...tl];
  const size = Math.ceil(tl.length / max);
  const out: TimelinePoint[] = [];
  for (let i = 0; i < tl.length; i += size) {
    const bucket = tl.slice(i, i + size);
    const counters: Record<string, number> = {};
    const latency: TimelinePoint['latency'] = {};
    for (const p of bucket) {
      for (const [k, v] of Object.entries(p.counters)) counters[k] = (counters[k] ?? 0) + v;
      for (const [k, l] of Object.entries(p.latency)) {
        const m = latency[k];
        latency[k] = m ? { p50: Math.max(m.p50, l.p50), p95: Math.max(m.p95, l.p95), p99: Math.max(m.p99, l.p99) } : { ...l };
      }
    }
    const res = (pick: (p: TimelinePoint) => { cpuPct: number; rssMiB: number } | undefined) => {
      const xs = bucket.map(pick).filter((x): x is { cpuPct: number; rssMiB: number } => x !== undefined);
      return xs.length ? { cpuPct: Math.round((xs.reduce((a, x) => a + x.cpuPct, 0) / xs.length) * 10) / 10, rssMiB: Math.max(...xs.map((x) => x.rssMiB)) } : undefined;
    };
    const generator = res((p) => p.generator);
    const hub = res((p) => p.hub);
    out.push({
      t: bucket[bucket.length - 1]!.t,
      sessions: Math.max(...bucket.map((p) => p.sessions)),
      pending: Math.max(...bucket.map((p) => p.pending)),
      counters, histograms: {}, latency,
      ...(generator ? { generator } : {}), ...(hub ? { hub } : {}),
    });
  }
  return out;
}

/** Interval counts as per-second rates. */
function perSecond(tl: TimelinePoint[], pick: (p: TimelinePoint) => number): [number, number][] {
  return tl.map((p, i) => {
    const dt = Math.max(0.001, p.t - (i ? tl[i - 1]!.t : 0));
    return [p.t, pick(p) / dt] as [number, number];
  });
}

const sum = (p: TimelinePoint, prefix: string[]) => Object.entries(p.counters).filter(([k]) => prefix.some((x) => k === x)).reduce((a, [, v]) => a + v, 0);

export function charts(r: LoadReport): string {
  const all = r.timeline.filter((p) => p.t >= 0);
  const tl = downsample(all);
  const merged = all.length > tl.length ? Math.ceil(all.length / MAX_CHART_POINTS) : 1;
  const sessions = lineChart('chart-sessions', 'Sessions over time', 'sessions', [
    { name: 'connected', points: tl.map((p) => [p.t, p.sessions]) },
    { name: 'awaiting CONNACK', points: tl.map((p) => [p.t, p.pending]) },
  ]);
  const throughput = lineChart('chart-throughput', 'Throughput', 'per second', [
    { name: 'sent', points: perSecond(tl, (p) => sum(p, ['mqtt_messages_sent'])) },
    { name: 'received', points: perSecond(tl, (p) => sum(p, ['mqtt_messages_received'])) },
    { name: 'connects', points: perSecond(tl, (p) => sum(p, ['mqtt_connects'])) },
    { name: 'HTTP requests', points: perSecond(tl, (p) => sum(p, ['http_reqs', 'requests'])) },
  ].filter((s) => s.points.some((x) => x[1] > 0)));
  const trendNames = [...new Set(tl.flatMap((p) => Object.keys(p.latency)))];
  const main = trendNames.find((n) => n.startsWith('delivery_latency')) ?? trendNames.find((n) => n !== 'mqtt_connect_duration') ?? trendNames[0];
  const latencySeries: Series[] = main
    ? (['p50', 'p95', 'p99'] as const).map((q) => ({ name: `${main} ${q}`, points: tl.filter((p) => p.latency[main]).map((p) => [p.t, p.latency[main]![q]] as [number, number]) }))
    : [];
  const latency = lineChart('chart-latency', 'Latency percentiles over time', 'ms', latencySeries);
  const errors = lineChart('chart-errors', 'Errors', merged > 1 ? `per ${merged} intervals` : 'per interval', [
    { name: 'connect errors', points: tl.map((p) => [p.t, sum(p, ['mqtt_connect_errors'])]) },
    ...(r.config['cycle'] ? [{ name: 'lost messages', points: tl.map((p) => [p.t, sum(p, ['cycle_lost'])] as [number, number]) }] : []),
    { name: 'refused', points: tl.map((p) => [p.t, sum(p, ['mqtt_connect_refused'])]) },
    { name: 'request/HTTP failures', points: tl.map((p) => [p.t, sum(p, ['request_failures', 'http_req_failures'])]) },
    { name: 'missed slots', points: tl.map((p) => [p.t, sum(p, ['slots_missed'])]) },
    { name: 'disconnects', points: tl.map((p) => [p.t, sum(p, ['mqtt_disconnects'])]) },
  ]);
  const resources = tl.some((p) => p.generator || p.hub) ? lineChart('chart-resources', 'CPU', '% of one core', [
    { name: r.resources.hubMeasured === 'in-process' ? 'generator + embedded hub' : 'generator', points: tl.filter((p) => p.generator).map((p) => [p.t, p.generator!.cpuPct]) },
    { name: 'hub', points: tl.filter((p) => p.hub).map((p) => [p.t, p.hub!.cpuPct]) },
  ]) : '';
  const memory = tl.some((p) => p.generator || p.hub) ? lineChart('chart-memory', 'Memory', 'RSS MiB', [
    { name: r.resources.hubMeasured === 'in-process' ? 'generator + embedded hub' : 'generator', points: tl.filter((p) => p.generator).map((p) => [p.t, p.generator!.rssMiB]) },
    { name: 'hub', points: tl.filter((p) => p.hub).map((p) => [p.t, p.hub!.rssMiB]) },
  ]) : '';
  return sessions + throughput + latency + errors + resources + memory;
}

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function toLoadHtml(r: LoadReport): string {
  const verdict = r.skipped ? `<p class="skip">SKIPPED: ${esc(r.skipped)}</p>` : `<p class="${r.passed ? 'pass' : 'fail'}">${r.passed ? 'PASSED' : 'FAILED'}: ${r.thresholds.filter((t) => t.ok).length}/${r.thresholds.length} thresholds met</p>`;
  const thresholds = table(['metric', 'threshold', 'value', 'verdict'], r.thresholds.map((t) => [t.metric, t.expression, t.value === null ? (t.note ?? '—') : t.value, t.ok ? 'ok' : 'FAILED']));
  const trends = table(['trend (ms)', 'count', 'avg', 'med', 'p90', 'p95', 'p99', 'p99.9', 'max'], Object.entries(r.metrics.trends).map(([k, t]) => [k, t.count, t.avg, t.med, t.p90, t.p95, t.p99, t.p999, t.max]));
  const counters = table(['counter', 'value'], [...Object.entries(r.metrics.counters).sort(), ...Object.entries(r.metrics.rates).map(([k, v]) => [`${k} (rate)`, v] as [string, number])]);
  const rssRow = (x: ResourceSummary) => [x.rssMiBMin ?? '—', x.rssMiBMedian ?? '—', x.rssMiBMax];
  const res = table(['process', 'CPU avg %', 'CPU max %', 'RSS min MiB', 'RSS median MiB', 'RSS max MiB'], [
    ...(r.resources.generator ? [['generator' + (r.resources.hubMeasured === 'in-process' ? ' (+ embedded hub)' : ''), r.resources.generator.cpuPctAvg, r.resources.generator.cpuPctMax, ...rssRow(r.resources.generator)]] : []),
    ...(r.resources.hub ? [['hub', r.resources.hub.cpuPctAvg, r.resources.hub.cpuPctMax, ...rssRow(r.resources.hub)]] : []),
  ]);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hubcheck load: ${esc(r.scenario)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#111827;max-width:1340px}figure{display:inline-block;margin:8px;border:1px solid #e5e7eb;border-radius:6px;padding:6px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #e5e7eb;padding:3px 8px;text-align:right;font-size:13px}td:first-child,th:first-child{text-align:left}
.pass{color:#15803d;font-weight:bold}.fail{color:#b91c1c;font-weight:bold}.skip{color:#a16207;font-weight:bold}code{background:#f3f4f6;padding:1px 4px}</style></head><body>
<h1>Load: ${esc(r.scenario)}</h1><p>${esc(r.description)}</p>
<p>engine <code>${r.engine}</code> · target ${esc(r.target)} · started ${esc(r.startedAt)} · ${r.durationS} s · run <code>${esc(r.runId)}</code>${r.shards ? ` · merged from ${r.shards} shards` : ''}</p>
${verdict}
<section id="charts">${charts(r)}</section>
<h2>Thresholds</h2>${thresholds}<h2>Latency</h2>${trends}<h2>Counters</h2>${counters}<h2>Resources</h2>${res}
<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Configuration</h2><pre>${esc(JSON.stringify(r.config, null, 1))}</pre></body></html>
`;
}

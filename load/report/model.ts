/** The load report (reports/<run-id>/load.json): totals with lossless HDR histograms, a per-interval timeline, resources and SLO verdicts. */
import type { TrendSummary } from '../metrics/histogram.js';

export const LOAD_REPORT_SCHEMA = 'hubcheck-load/1';

export interface TimelinePoint {
  /** Seconds since the scenario's t=0 (end of the interval). */
  t: number;
  sessions: number;
  pending: number;
  /** Counts within the interval. */
  counters: Record<string, number>;
  /** Encoded HDR histograms of the interval (µs), so shard timelines merge losslessly too. */
  histograms: Record<string, string>;
  /** Percentiles of the interval in ms, by trend name. */
  latency: Record<string, { p50: number; p95: number; p99: number }>;
  generator?: { cpuPct: number; rssMiB: number };
  hub?: { cpuPct: number; rssMiB: number };
}

export interface ThresholdVerdict {
  metric: string;
  expression: string;
  value: number | null;
  ok: boolean;
  note?: string;
}

export interface ResourceSummary {
  cpuPctAvg: number;
  cpuPctMax: number;
  rssMiBMax: number;
  /** Over every sample of the run (one a tick). */
  rssMiBMin?: number;
  rssMiBMedian?: number;
}

export interface LoadReport {
  schema: typeof LOAD_REPORT_SCHEMA;
  runId: string;
  scenario: string;
  description: string;
  engine: 'fleet' | 'k6' | 'k6-runtime';
  target: string;
  startedAt: string;
  durationS: number;
  config: Record<string, unknown>;
  /** Things a reader must know: skipped parts, how resources were measured. */
  notes: string[];
  metrics: {
    counters: Record<string, number>;
    rates: Record<string, number>;
    trends: Record<string, TrendSummary>;
    /** Encoded HDR histograms (µs) of the whole run, for `report merge`. */
    histograms: Record<string, string>;
  };
  resources: {
    generator?: ResourceSummary;
    hub?: ResourceSummary;
    /** process: the hub's own pid; in-process: the embedded hub shares the generator's process (figures are process-wide); none: not measured. */
    hubMeasured: 'process' | 'in-process' | 'none';
  };
  timeline: TimelinePoint[];
  thresholds: ThresholdVerdict[];
  passed: boolean;
  /** Set when the scenario could not run against this target (e.g. an action the hub does not serve). */
  skipped?: string;
  /** How many shard reports were merged into this one. */
  shards?: number;
}

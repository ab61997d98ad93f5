/** options → the scenarios to run, for the executors that bound work by VUs, iterations and duration (k6's defaults included). */
import { parseDurationS, ThresholdError } from './thresholds.js';

export type ExecutorName = 'shared-iterations' | 'per-vu-iterations' | 'constant-vus';

export interface ScenarioPlan {
  name: string;
  executor: ExecutorName;
  vus: number;
  /** shared-iterations: the total; per-vu-iterations: per VU; constant-vus: unbounded (null). */
  iterations: number | null;
  /** Seconds the executor may run: maxDuration for the iteration executors, duration for constant-vus. */
  durationS: number;
  /** Seconds an iteration still running at durationS may finish before it is interrupted. */
  gracefulStopS: number;
  startTimeS: number;
  exec: string;
  env: Record<string, string>;
  tags: Record<string, string>;
}

type RawScenario = Record<string, unknown>;

const SUPPORTED: ExecutorName[] = ['shared-iterations', 'per-vu-iterations', 'constant-vus'];

function int(v: unknown, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ThresholdError(`${what}: expected a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/** k6's shortcuts: `iterations` → shared-iterations, `duration` → constant-vus, neither → one iteration of one VU. */
export function planScenarios(options: Record<string, unknown>): ScenarioPlan[] {
  const scenarios = options['scenarios'] as Record<string, RawScenario> | undefined;
  if (!scenarios || !Object.keys(scenarios).length) {
    const vus = int(options['vus'], 'options.vus', 1);
    const iterations = options['iterations'];
    if (iterations === undefined && options['duration'] !== undefined) {
      return [plan('default', { executor: 'constant-vus', vus, duration: options['duration'] })];
    }
    return [plan('default', { executor: 'shared-iterations', vus, iterations: iterations ?? vus })];
  }
  return Object.entries(scenarios).map(([name, s]) => plan(name, s));
}

function plan(name: string, s: RawScenario): ScenarioPlan {
  const executor = s['executor'] as ExecutorName;
  if (!SUPPORTED.includes(executor)) throw new ThresholdError(`scenario ${name}: executor '${String(s['executor'])}' is not emulated here; use ${SUPPORTED.join(', ')} (or run the script on k6 itself)`);
  const vus = int(s['vus'], `scenario ${name}: vus`, 1);
  const common = {
    name, executor, vus,
    gracefulStopS: s['gracefulStop'] !== undefined ? parseDurationS(s['gracefulStop'] as string) : 30,
    startTimeS: s['startTime'] !== undefined ? parseDurationS(s['startTime'] as string) : 0,
    exec: typeof s['exec'] === 'string' ? s['exec'] : 'default',
    env: (s['env'] as Record<string, string> | undefined) ?? {},
    tags: (s['tags'] as Record<string, string> | undefined) ?? {},
  };
  if (executor === 'constant-vus') {
    if (s['duration'] === undefined) throw new ThresholdError(`scenario ${name}: constant-vus needs a duration, e.g. duration: '30s'`);
    return { ...common, iterations: null, durationS: parseDurationS(s['duration'] as string) };
  }
  const maxDurationS = s['maxDuration'] !== undefined ? parseDurationS(s['maxDuration'] as string) : 600;
  const iterations = int(s['iterations'], `scenario ${name}: iterations`, executor === 'shared-iterations' ? vus : 1);
  // k6 never starts more VUs than a shared-iterations scenario has iterations
  return { ...common, vus: executor === 'shared-iterations' ? Math.min(vus, iterations) : vus, iterations, durationS: maxDurationS };
}

/** How a conformance test is declared: `req(ids, title, fn)` names the requirements, checks capabilities and keeps evidence. */
import fc from 'fast-check';
import { inject, test, type TestContext } from 'vitest';
import '../../src/runner/vitest-context.js';
import { CloudApi, type RawAnswer } from '../../src/client/cloud-api.js';
import { Device, type DeviceOptions } from '../../src/client/device.js';
import { RawConnection } from '../../src/client/raw.js';
import { Trace } from '../../src/client/trace.js';
import { deviceLogin, type LoginOptions } from '../../src/protocol/credentials.js';
import type { ResolvedTarget } from '../../src/target/resolved.js';
import { definitionNames, validatePayload } from '../../src/schema/index.js';
import { REQUIREMENTS, type ReqId } from '../../specs/requirements/index.js';
import type { DeviceCredentials } from './provision.js';

export function currentTarget(): ResolvedTarget {
  const target = inject('target');
  if (!target) throw new Error('no target was provided: run the suites through `hubcheck run` or `npm test` (the global setup starts the embedded hub)');
  return target;
}

/** Everything one test uses to talk to the hub; closes what it opened. */
export class Harness {
  readonly trace = new Trace();
  /** Payloads from the hub that do not match their schema; any makes the test fail. */
  readonly schemaViolations: string[] = [];
  private readonly opened: { end(): unknown }[] = [];
  constructor(readonly target: ResolvedTarget, readonly ctx: TestContext) {}

  api(): CloudApi {
    return new CloudApi({ endpoint: this.target.endpoints.api, ...this.target.cloudApi }, this.trace, (action, answer) => this.checkApiAnswer(action, answer));
  }

  /** Validates a payload the hub sent against its schema; a violation is kept as evidence and fails the test. */
  expectSchema(ref: string, payload: unknown, origin: string): void {
    const r = validatePayload(ref, payload, origin);
    if (!r.ok) {
      this.schemaViolations.push(r.text);
      this.trace.add('schema', r.text);
    }
  }

  private checkApiAnswer(action: string, answer: RawAnswer): void {
    const origin = `HTTP answer to ${action}`;
    if (!answer.json) return this.expectSchema('cloud-api.schema.json#/$defs/envelope', answer.text, origin);
    if (answer.json.Response?.Error) return this.expectSchema('cloud-api.schema.json#/$defs/errorResponse', answer.json, origin);
    const def = `${action}Response`;
    this.expectSchema(`cloud-api.schema.json#/$defs/${CLOUD_API_DEFS.has(def) ? def : 'envelope'}`, answer.json, origin);
  }

  /** Logs a device in over TCP (or WebSocket with transport 'ws') with freshly signed credentials. */
  async device(creds: DeviceCredentials, o: Partial<DeviceOptions> & { login?: LoginOptions; transport?: 'tcp' | 'ws' } = {}): Promise<Device> {
    const login = deviceLogin(creds, o.login);
    return this.connect({ ...login, label: o.label ?? creds.deviceName, ...o });
  }

  /** Opens a session with exactly the CONNECT fields given. */
  async connect(o: DeviceOptions & { transport?: 'tcp' | 'ws' }): Promise<Device> {
    const url = o.transport === 'ws' ? this.target.endpoints.ws : this.target.endpoints.mqtt;
    if (!url) throw new Error('the target declares no WebSocket endpoint');
    const device = await Device.connect(url, { trace: this.trace, ...o });
    this.opened.push({ end: () => device.end() });
    return device;
  }

  async raw(label = 'raw', protocolVersion = 4): Promise<RawConnection> {
    const conn = await RawConnection.open(this.target.endpoints.mqtt, { label, trace: this.trace, protocolVersion });
    this.opened.push({ end: () => conn.close() });
    return conn;
  }

  /** Closes every connection opened since `mark` (from `openedCount`). */
  async close(mark = 0): Promise<void> {
    await Promise.all(this.opened.splice(mark).map((o) => o.end()));
  }

  get openedCount(): number {
    return this.opened.length;
  }
}

const CLOUD_API_DEFS = new Set(definitionNames('cloud-api.schema.json'));

function capabilityGap(target: ResolvedTarget, ids: readonly ReqId[]): string | undefined {
  const missing = ids.map((id) => REQUIREMENTS[id].capability as string).filter((c) => !target.capabilities.includes(c));
  return missing.length ? `the target does not offer ${[...new Set(missing)].join(', ')}` : undefined;
}

/** Declares a conformance test proving the given requirements. */
export function req(ids: readonly ReqId[], title: string, fn: (h: Harness) => Promise<void>, options: { timeout?: number } = {}): void {
  test(`[${ids.join(', ')}] ${title}`, { meta: { requirements: [...ids] }, timeout: options.timeout }, async (ctx) => {
    const target = currentTarget();
    const gap = capabilityGap(target, ids);
    if (gap) return ctx.skip(gap);
    const h = new Harness(target, ctx);
    ctx.onTestFailed(() => { ctx.task.meta.evidence = h.trace.evidence(); });
    try {
      await fn(h);
      if (h.schemaViolations.length) throw new Error(`the hub sent ${h.schemaViolations.length} payload(s) that do not match their schema:\n${h.schemaViolations.join('\n')}`);
    } finally {
      await h.close();
    }
  });
}

/** Number of generated cases per property (HUBCHECK_NUM_RUNS overrides, for deeper runs). */
export function numRuns(defaultRuns: number): number {
  const n = Number(process.env.HUBCHECK_NUM_RUNS);
  return Number.isInteger(n) && n > 0 ? n : defaultRuns;
}

/**
 * Declares a property-based conformance test: fast-check generates cases, each checked on the
 * wire; a failure shrinks and its counterexample and seed become evidence.
 */
export function reqProperty<T extends unknown[]>(
  ids: readonly ReqId[],
  title: string,
  arbitraries: { [K in keyof T]: fc.Arbitrary<T[K]> },
  check: (h: Harness, ...values: T) => Promise<void>,
  options: { numRuns?: number; timeout?: number } = {},
): void {
  req(ids, title, async (h) => {
    const property = fc.asyncProperty(...(arbitraries as unknown as [fc.Arbitrary<unknown>]), async (...values: unknown[]) => {
      const mark = h.openedCount;
      h.trace.add('property', `case ${fc.stringify(values)}`);
      try {
        await check(h, ...(values as T));
      } finally {
        await h.close(mark);
      }
    });
    const details = await fc.check(property, { numRuns: numRuns(options.numRuns ?? 50), endOnFailure: true });
    if (details.failed) {
      h.trace.add('property', `counterexample ${fc.stringify(details.counterexample)} (seed ${details.seed}, path ${details.counterexamplePath}, after ${details.numRuns} runs, shrunk ${details.numShrinks} times)`);
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`property failed for ${fc.stringify(details.counterexample)}: ${cause}`);
    }
  }, { timeout: options.timeout ?? 60_000 });
}

/** How a conformance test is declared: `req(ids, title, fn)` names the requirements, checks capabilities and keeps evidence. */
import fc from 'fast-check';
import { inject, test, type TestContext } from 'vitest';
import '../../src/runner/vitest-context.js';
import { keepsPassTranscript, propertySeed, runsFor } from '../../src/runner/knobs.js';
import { CloudApi, type RawAnswer } from '../../src/client/cloud-api.js';
import { CoapDevice, type DtlsOptions } from '../../src/client/coap.js';
import { Device, type DeviceOptions } from '../../src/client/device.js';
import { RawConnection } from '../../src/client/raw.js';
import { advanceTestClock } from '../../src/client/test-clock.js';
import { Trace } from '../../src/client/trace.js';
import { deviceLogin, EXPIRY_LONG_MAX, formatUsername, type LoginOptions } from '../../src/protocol/credentials.js';
import type { ResolvedTarget } from '../../src/target/resolved.js';
import { definitionNames, validatePayload } from '../../src/schema/index.js';
import { REQUIREMENTS, type ReqId } from '../../specs/requirements/index.js';
import type { DeviceCredentials } from './provision.js';

/** A target started inside the test worker rather than by the global setup (mutation runs: mutation/hub-in-worker.ts). */
let workerTarget: ResolvedTarget | undefined;
export function useWorkerTarget(target: ResolvedTarget): void {
  workerTarget = target;
}

export function currentTarget(): ResolvedTarget {
  const target = workerTarget ?? inject('target');
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

  api(o: { timeoutMs?: number } = {}): CloudApi {
    // A hub without a cloud API (provisioning any or fixtures): what a test needs the API for cannot be
    // done there, so the test is not applicable (ctx.skip ends it here), never failed.
    if (!this.target.endpoints.api) this.ctx.skip(`the target has no cloud API (provisioning: ${this.target.provisioning ?? 'cloud-api'}), which this test uses`);
    return new CloudApi({ endpoint: this.target.endpoints.api, ...this.target.cloudApi, ...o }, this.trace, (action, answer) => this.checkApiAnswer(action, answer));
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

  /** Logs a device in over TCP (or WebSocket 'ws', TLS 'tls', secure WebSocket 'wss') with freshly signed credentials. */
  async device(creds: DeviceCredentials, o: Partial<DeviceOptions> & { login?: LoginOptions; transport?: Transport } = {}): Promise<Device> {
    const login = deviceLogin(creds, o.login);
    return this.connect({ ...login, label: o.label ?? creds.deviceName, ...o });
  }

  /** The endpoint URL of a transport; throws naming the descriptor field when the target declares none. */
  endpoint(transport: Transport = 'tcp'): string {
    const field = TRANSPORT_ENDPOINT[transport];
    const url = this.target.endpoints[field];
    if (!url) throw new Error(`the target declares no ${transport} endpoint (endpoints.${field})`);
    return url;
  }

  /** Opens a session with exactly the CONNECT fields given; over tls/wss the target's CA is trusted unless o.tls.ca says otherwise. */
  async connect(o: DeviceOptions & { transport?: Transport }): Promise<Device> {
    const transport = o.transport ?? 'tcp';
    const secure = transport === 'tls' || transport === 'wss';
    const tls = secure ? { ...(this.target.tls ? { ca: this.target.tls.ca } : {}), ...o.tls } : undefined;
    const device = await Device.connect(this.endpoint(transport), { trace: this.trace, ...o, ...(tls ? { tls } : {}) });
    this.opened.push({ end: () => device.end() });
    return device;
  }

  /** A certificate device logs in over 'tls' (default) or 'wss': its certificate in the handshake, a §1.3 username, no password. */
  async certDevice(c: CertCredentials, o: Partial<DeviceOptions> & { transport?: 'tls' | 'wss'; clientId?: string } = {}): Promise<Device> {
    const clientId = o.clientId ?? `${c.productId}${c.deviceName}`;
    const username = formatUsername({ clientId, sdkappid: '12010126', connid: 'cert1', expiry: EXPIRY_LONG_MAX });
    return this.connect({ clientId, username, label: c.deviceName, ...o, transport: o.transport ?? 'tls', tls: { cert: c.cert, key: c.key, ...o.tls } });
  }

  /** TLS-PSK login as the C SDK does it: identity = ClientId, key = base64-decoded PSK (or `key`), CONNECT with a username and no password. */
  async pskDevice(creds: DeviceCredentials, o: Partial<DeviceOptions> & { key?: Buffer; identity?: string; cipher?: string } = {}): Promise<Device> {
    const clientId = o.clientId ?? `${creds.productId}${creds.deviceName}`;
    const username = o.username ?? formatUsername({ clientId, sdkappid: '21010406', connid: 'psk01', expiry: EXPIRY_LONG_MAX });
    const psk = { identity: o.identity ?? clientId, key: o.key ?? Buffer.from(creds.psk, 'base64') };
    return this.connect({ label: creds.deviceName, ...o, clientId, username, transport: 'tls', tls: { psk, ...(o.cipher ? { ciphers: o.cipher } : {}), ...o.tls } });
  }

  /** A CoAP peer (one UDP socket) to the target's coap endpoint. */
  async coap(label = 'coap'): Promise<CoapDevice> {
    const url = this.target.endpoints.coap;
    if (!url) throw new Error('the target declares no CoAP endpoint (endpoints.coap)');
    const peer = await CoapDevice.open(url, label, this.trace);
    this.opened.push({ end: () => peer.close() });
    return peer;
  }

  /** A CoAP peer over DTLS-PSK to the target's coaps endpoint (as the C SDK: identity = ClientId, key = decoded PSK unless given). */
  async coaps(creds: DeviceCredentials, o: Partial<DtlsOptions> & { label?: string } = {}): Promise<CoapDevice> {
    const url = this.target.endpoints.coaps;
    if (!url) throw new Error('the target declares no CoAP over DTLS endpoint (endpoints.coaps)');
    const peer = await CoapDevice.openDtls(url, { identity: `${creds.productId}${creds.deviceName}`, key: Buffer.from(creds.psk, 'base64'), ...o }, o.label ?? `coaps ${creds.deviceName}`, this.trace);
    this.opened.push({ end: () => peer.close() });
    return peer;
  }

  async raw(label = 'raw', protocolVersion = 4): Promise<RawConnection> {
    const conn = await RawConnection.open(this.target.endpoints.mqtt, { label, trace: this.trace, protocolVersion });
    this.opened.push({ end: () => conn.close() });
    return conn;
  }

  /**
   * Lets `seconds` pass on the hub: the test-clock capability (AdvanceTestClock), or with `hubcheck run --long`
   * on a target without it, a real wait of that long (announced in the trace and on stderr).
   */
  async advanceClock(seconds: number): Promise<void> {
    if (this.target.capabilities.includes('test-clock')) {
      const r = await advanceTestClock(this.api(), seconds);
      this.trace.add('test-clock', `hub clock advanced by ${seconds} s (total offset ${r.OffsetSeconds} s)`);
      return;
    }
    if (!this.target.long) throw new Error('the target has no test clock; run with --long to wait for real');
    this.trace.add('test-clock', `waiting ${seconds} s for real (--long, no test clock)`);
    process.stderr.write(`hubcheck: ${this.ctx.task.name}: waiting ${seconds} s for real (--long)\n`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }

  /** Closes every connection opened since `mark` (from `openedCount`). */
  async close(mark = 0): Promise<void> {
    await Promise.all(this.opened.splice(mark).map((o) => o.end()));
  }

  get openedCount(): number {
    return this.opened.length;
  }
}

/** How a device reaches the hub: MQTT over TCP, WebSocket, TLS (mqtts) or secure WebSocket (wss). */
export type Transport = 'tcp' | 'ws' | 'tls' | 'wss';
const TRANSPORT_ENDPOINT = { tcp: 'mqtt', ws: 'ws', tls: 'mqtts', wss: 'wss' } as const;

/** A certificate device: its identity and the PEM certificate and private key it presents. */
export interface CertCredentials { productId: string; deviceName: string; cert: string; key: string }

const CLOUD_API_DEFS = new Set(definitionNames('cloud-api.schema.json'));

function capabilityGap(target: ResolvedTarget, ids: readonly ReqId[]): string | undefined {
  // --long: tests of limits measured in hours run without a test clock, waiting for real (Harness.advanceClock)
  const offered = (c: string) => target.capabilities.includes(c) || (c === 'test-clock' && target.long === true);
  const missing = ids.map((id) => REQUIREMENTS[id].capability as string).filter((c) => !offered(c));
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
    // A fixed sample of passes keeps its transcript too (certify's bundle shows what a pass looked like on the wire).
    if (keepsPassTranscript(ctx.task.name)) ctx.task.meta.evidence = h.trace.evidence();
  });
}

/** Number of generated cases per property: HUBCHECK_NUM_RUNS sets it, HUBCHECK_RUNS_FACTOR scales it (src/runner/knobs.ts). */
export function numRuns(defaultRuns: number): number {
  return runsFor(defaultRuns);
}

/** fast-check's seed for the property titled so: HUBCHECK_SEED mixed with the title, or none (fast-check picks one). */
export function seedFor(title: string): { seed: number } | Record<string, never> {
  const seed = propertySeed(title);
  return seed === undefined ? {} : { seed };
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
  options: { numRuns?: number; timeout?: number; examples?: T[] } = {},
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
    // examples: the corners every run must try, before the random draws (fast-check counts them in numRuns)
    const details = await fc.check(property, { numRuns: Math.max(numRuns(options.numRuns ?? 50), options.examples?.length ?? 0), endOnFailure: true, ...seedFor(h.ctx.task.name), ...(options.examples ? { examples: options.examples as unknown as [unknown][] } : {}) });
    if (details.failed) {
      h.trace.add('property', `counterexample ${fc.stringify(details.counterexample)} (seed ${details.seed}, path ${details.counterexamplePath}, after ${details.numRuns} runs, shrunk ${details.numShrinks} times)`);
      const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
      throw new Error(`property failed for ${fc.stringify(details.counterexample)}: ${cause}`);
    }
  }, { timeout: options.timeout ?? 60_000 });
}

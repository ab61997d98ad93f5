/**
 * Provisioning a fleet on a real hub through the cloud API, resumable: CreateDevice at the documented request rate
 * (API-035: 100 CreateDevice requests per second), each device's credentials appended to a fixtures file as it is
 * created, and a state file beside it naming the product, so a rerun after an interruption continues where it stopped
 * and never creates a device twice. `removeProvisioned` deletes what a provisioning created, paging the hub's own list.
 *
 * Why not the batch path: the 2018-06-14 batch actions (CreateTaskFileUrl, then CreateMultiDevicesTask reading an
 * uploaded file) need an object store for the upload and a task runner behind it; the reference hub serves neither, and
 * a hub that does still creates the devices at its own pace. CreateDevice works on every hub that has a cloud API.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { once, setMaxListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { ApiError, type CloudApi } from '../../src/client/cloud-api.js';
import { FIXTURES_HEADER } from './credentials.js';

export const PROVISION_STATE_SCHEMA = 'hubcheck-provision/1';

/** The state file (`<file>.state.json`): what the rerun needs to continue the same provisioning. */
export interface ProvisionState {
  schema: typeof PROVISION_STATE_SCHEMA;
  endpoint: string;
  productName: string;
  /** Set once the product exists. */
  productId?: string;
  devices: number;
  /** Device i is named `${prefix}${i}`. */
  prefix: string;
  /** creating: devices are being created; complete: all exist and are in the file. */
  phase: 'creating' | 'complete';
}

export interface ProvisionProgress {
  phase: 'create' | 'remove';
  done: number;
  total: number;
  /** Seconds since this invocation started. */
  t: number;
  /** RequestLimitExceeded answers waited out, and devices found already created (recovered with DescribeDevice). */
  throttled: number;
  recovered: number;
}

export interface ProvisionOptions {
  api: CloudApi;
  /** Credentials file (CSV productId,deviceName,psk) written as devices are created; the state file sits beside it. */
  file: string;
  devices: number;
  /** Requests per second at most (default 100: the documented CreateDevice rate). */
  rate?: number;
  /** Requests in flight at most (default 16). */
  concurrency?: number;
  productName?: string;
  prefix?: string;
  signal?: AbortSignal;
  onProgress?: (p: ProvisionProgress) => void;
}

export interface ProvisionResult {
  productId: string;
  /** Devices created by this invocation, found created by an interrupted earlier one, and already in the file. */
  created: number;
  recovered: number;
  alreadyInFile: number;
  complete: boolean;
  durationS: number;
}

export const DEFAULT_PROVISION_RATE = 100;
const DEFAULT_CONCURRENCY = 16;
/** RequestLimitExceeded answers one request may wait out before provisioning stops with the error. */
const MAX_THROTTLE_RETRIES = 50;
const PROGRESS_MS = 1000;

export const stateFileOf = (file: string): string => `${file}.state.json`;

const bad = (msg: string) => Object.assign(new Error(msg), { code: 'BAD_OPTION' });
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => {
  if (signal?.aborted) { r(); return; }
  const onAbort = () => { clearTimeout(t); r(); };
  const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); r(); }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

function readState(file: string): ProvisionState | undefined {
  const f = stateFileOf(file);
  if (!existsSync(f)) return undefined;
  const s = JSON.parse(readFileSync(f, 'utf8')) as ProvisionState;
  if (s.schema !== PROVISION_STATE_SCHEMA) throw bad(`${f}: not a provisioning state file (schema ${String(s.schema)}); remove it or choose another credentials file`);
  return s;
}

function writeState(file: string, s: ProvisionState): void {
  // write then rename: an interruption leaves the old state or the new one, never half a file
  const f = stateFileOf(file);
  writeFileSync(`${f}.tmp`, JSON.stringify(s, null, 1) + '\n');
  renameSync(`${f}.tmp`, f);
}

/** A pacer shared by all requests: one slot every 1000/rate ms. */
function pacer(rate: number, signal?: AbortSignal): () => Promise<void> {
  // every request in flight may be waiting for its slot with a listener on the signal
  if (signal) setMaxListeners(1024, signal);
  const interval = 1000 / rate;
  let nextAt = performance.now();
  return async () => {
    const now = performance.now();
    const at = Math.max(now, nextAt);
    nextAt = at + interval;
    if (at > now) await sleep(at - now, signal);
  };
}

/** Thrown instead of sending a request once the run is aborted. */
class Aborted extends Error {}

/** Calls an action, waiting out RequestLimitExceeded (bounded); counts the waits. */
async function paced<T>(api: CloudApi, pace: () => Promise<void>, action: string, params: Record<string, unknown>, counts: { throttled: number }, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    await pace();
    if (signal?.aborted) throw new Aborted('aborted');
    try {
      return await api.call<T>(action, params);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'RequestLimitExceeded') || attempt >= MAX_THROTTLE_RETRIES || signal?.aborted) throw e;
      counts.throttled++;
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 4)), signal);
    }
  }
}

/**
 * Indices of the devices already in the credentials file (a bitmap), after cutting off a last line an interruption
 * left half-written. Rows of other names are an error: the file belongs to another provisioning.
 */
async function doneInFile(file: string, s: ProvisionState): Promise<{ done: Uint8Array; count: number }> {
  const done = new Uint8Array(s.devices);
  let count = 0;
  if (!existsSync(file)) return { done, count };
  let text = '';
  let offset = 0;
  let lastGood = 0;
  let line = 0;
  const rowRe = new RegExp(`^${s.productId ?? '[A-Z0-9]{10}'},${s.prefix.replace(/[^a-zA-Z0-9]/g, '\\$&')}(\\d+),[A-Za-z0-9+/=]+$`);
  for await (const chunk of createReadStream(file, { encoding: 'latin1', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
    text += chunk;
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const row = text.slice(0, nl);
      text = text.slice(nl + 1);
      line++;
      offset += nl + 1;
      if (line === 1) {
        if (row !== FIXTURES_HEADER) throw bad(`${file}: line 1 is not the header "${FIXTURES_HEADER}"; choose a new credentials file`);
        lastGood = offset;
        continue;
      }
      const m = rowRe.exec(row);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= s.devices) throw bad(`${file}: line ${line} is not a device of this provisioning (${s.productId ?? 'its product'}, ${s.prefix}0..${s.prefix}${s.devices - 1}); choose a new credentials file`);
      if (!done[i]) { done[i] = 1; count++; }
      lastGood = offset;
    }
  }
  // a last line without its newline was being written when the run stopped: drop it (the device is found again below)
  if (text.length) truncateSync(file, lastGood);
  return { done, count };
}

/** Finds a product by name (an interrupted run may have created it before recording its id). Bounded: at most 10,000 products. */
async function productByName(api: CloudApi, name: string): Promise<string | undefined> {
  for (let offset = 0; offset < 10_000; offset += 250) {
    const page = await api.call<{ TotalCount: number; Products: { ProductId: string; ProductName: string }[] }>('DescribeProducts', { Offset: offset, Limit: 250 });
    const hit = page.Products.find((p) => p.ProductName === name);
    if (hit) return hit.ProductId;
    if (offset + page.Products.length >= page.TotalCount || !page.Products.length) return undefined;
  }
  return undefined;
}

export async function provision(o: ProvisionOptions): Promise<ProvisionResult> {
  const t0 = performance.now();
  const rate = o.rate ?? DEFAULT_PROVISION_RATE;
  const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(o.devices) || o.devices < 1 || o.devices > 10_000_000) throw bad(`--devices: from 1 to 10000000 (got ${o.devices})`);
  if (!(rate > 0)) throw bad(`--rate: requests per second must be > 0 (got ${rate}); e.g. --rate 100`);
  const endpoint = o.api.host;
  let s = readState(o.file);
  if (s) {
    if (s.devices !== o.devices) throw bad(`${stateFileOf(o.file)}: this provisioning is of ${s.devices} devices, not ${o.devices}; rerun with --devices ${s.devices} or choose a new credentials file`);
    if (s.endpoint !== endpoint) throw bad(`${stateFileOf(o.file)}: this provisioning is on ${s.endpoint}, not ${endpoint}; rerun against that hub or choose a new credentials file`);
  } else {
    if (existsSync(o.file)) throw bad(`${o.file} exists without ${stateFileOf(o.file)}: it is not a provisioning to continue; choose a new credentials file`);
    const productName = o.productName ?? `fleet_${randomBytes(4).toString('hex')}`;
    s = { schema: PROVISION_STATE_SCHEMA, endpoint, productName, devices: o.devices, prefix: o.prefix ?? 'dev', phase: 'creating' };
    writeState(o.file, s); // before CreateProduct: a rerun looks the product up by this name rather than creating another
  }
  const counts = { throttled: 0, created: 0, recovered: 0 };
  const pace = pacer(rate, o.signal);
  if (!s.productId) {
    s.productId = (await productByName(o.api, s.productName))
      ?? (await paced<{ ProductId: string }>(o.api, pace, 'CreateProduct', { ProductName: s.productName }, counts, o.signal)).ProductId;
    writeState(o.file, s);
  }
  const productId = s.productId;
  const { done, count: alreadyInFile } = await doneInFile(o.file, s);
  const fresh = !existsSync(o.file);
  const out = createWriteStream(o.file, { flags: 'a' });
  if (fresh) out.write(FIXTURES_HEADER + '\n');
  let finished = alreadyInFile;
  const progress = () => o.onProgress?.({ phase: 'create', done: finished, total: s!.devices, t: (performance.now() - t0) / 1000, throttled: counts.throttled, recovered: counts.recovered });
  const ticker = setInterval(progress, PROGRESS_MS);
  let next = 0;
  let failure: Error | undefined;
  const worker = async () => {
    for (;;) {
      if (o.signal?.aborted || failure) return;
      while (next < s!.devices && done[next]) next++;
      const i = next++;
      if (i >= s!.devices) return;
      const DeviceName = `${s!.prefix}${i}`;
      let psk: string;
      try {
        psk = (await paced<{ DevicePsk: string }>(o.api, pace, 'CreateDevice', { ProductId: productId, DeviceName }, counts, o.signal)).DevicePsk;
        counts.created++;
      } catch (e) {
        if (e instanceof Aborted) return;
        if (!(e instanceof ApiError && e.code === 'InvalidParameterValue.DeviceAlreadyExist')) { failure ??= e as Error; return; }
        // created by an interrupted run whose answer never reached the file: read its key instead of creating it again
        try {
          psk = (await paced<{ DevicePsk: string }>(o.api, pace, 'DescribeDevice', { ProductID: productId, DeviceName }, counts, o.signal)).DevicePsk;
        } catch (e2) {
          if (!(e2 instanceof Aborted)) failure ??= e2 as Error;
          return;
        }
        counts.recovered++;
      }
      if (!psk) { failure ??= new Error(`${DeviceName}: the hub gave no DevicePsk (a certificate product?); provisioning needs a key (PSK) product`); return; }
      done[i] = 1;
      finished++;
      if (!out.write(`${productId},${DeviceName},${psk}\n`)) await once(out, 'drain');
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, o.devices) }, worker));
  } finally {
    clearInterval(ticker);
    out.end();
    await once(out, 'finish');
  }
  progress();
  if (failure) throw failure;
  const complete = finished === s.devices;
  if (complete) { s.phase = 'complete'; writeState(o.file, s); }
  return { productId, created: counts.created, recovered: counts.recovered, alreadyInFile, complete, durationS: (performance.now() - t0) / 1000 };
}

/**
 * Deletes every device of the provisioning's product (listed by the hub, so devices an interruption left out of the
 * file go too), then the product, then the credentials and state files. Rerunnable: what is already gone is skipped.
 */
export async function removeProvisioned(o: Pick<ProvisionOptions, 'api' | 'file' | 'rate' | 'concurrency' | 'signal' | 'onProgress'>): Promise<{ productId: string | undefined; deleted: number }> {
  const t0 = performance.now();
  const s = readState(o.file);
  if (!s) throw bad(`${stateFileOf(o.file)} not found: nothing to remove (the state file names the product a provisioning created)`);
  const counts = { throttled: 0 };
  const pace = pacer(o.rate ?? DEFAULT_PROVISION_RATE, o.signal);
  const productId = s.productId ?? (await productByName(o.api, s.productName));
  let deleted = 0;
  if (productId) {
    let total = Infinity;
    const progress = () => o.onProgress?.({ phase: 'remove', done: deleted, total: Number.isFinite(total) ? total + deleted : s.devices, t: (performance.now() - t0) / 1000, throttled: counts.throttled, recovered: 0 });
    const ticker = setInterval(progress, PROGRESS_MS);
    try {
      // Bounded: each page deletes up to 250 devices and the product holds at most s.devices plus strays of a crash.
      for (let pages = 0; pages < Math.ceil(s.devices / 250) + 10 && !o.signal?.aborted; pages++) {
        let page: { TotalCount: number; Devices: { DeviceName: string }[] };
        try {
          page = await paced(o.api, pace, 'DescribeDevices', { ProductId: productId, Offset: 0, Limit: 250 }, counts, o.signal);
        } catch (e) {
          if (e instanceof Aborted) break;
          if (e instanceof ApiError && e.code === 'ResourceNotFound.ProductNotExist') { total = 0; break; }
          throw e;
        }
        total = page.TotalCount;
        if (!page.Devices.length) break;
        const names = page.Devices.map((d) => d.DeviceName);
        let k = 0;
        await Promise.all(Array.from({ length: Math.min(o.concurrency ?? DEFAULT_CONCURRENCY, names.length) }, async () => {
          for (let j = k++; j < names.length && !o.signal?.aborted; j = k++) {
            try {
              await paced(o.api, pace, 'DeleteDevice', { ProductId: productId, DeviceName: names[j] }, counts, o.signal);
              deleted++;
            } catch (e) {
              if (e instanceof Aborted) return;
              if (!(e instanceof ApiError && e.code === 'ResourceNotFound.DeviceNotExist')) throw e;
            }
          }
        }));
      }
    } finally {
      clearInterval(ticker);
    }
    progress();
    if (o.signal?.aborted) return { productId, deleted };
    try {
      await paced(o.api, pace, 'DeleteProduct', { ProductId: productId }, counts, o.signal);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'ResourceNotFound.ProductNotExist')) throw e;
    }
  }
  rmSync(o.file, { force: true });
  rmSync(stateFileOf(o.file), { force: true });
  return { productId, deleted };
}

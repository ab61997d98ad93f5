/** `hubcheck provision FILE`: create a fleet on a hub through its cloud API (resumable, credentials written as it goes), or remove it with --remove. */
import { HubcheckError } from '../errors.js';
import { CloudApi } from '../client/cloud-api.js';
import { descriptorFor, launch } from '../target/launch.js';

export interface ProvisionCliOptions {
  target?: string;
  devices?: string;
  rate?: string;
  concurrency?: string;
  productName?: string;
  remove?: boolean;
}

const bad = (msg: string) => new HubcheckError('BAD_OPTION', msg);

function int(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!v.trim() || !Number.isFinite(n) || n < min || n > max) throw bad(`${flag}: expected a number from ${min} to ${max} (got "${v}")`);
  return n;
}

export async function provisionCommand(file: string, opts: ProvisionCliOptions, write: (s: string) => void = (s) => process.stdout.write(`${s}\n`), err: { write(s: string): unknown; isTTY?: boolean } = process.stderr): Promise<number> {
  if (!opts.target) throw bad('provision: give --target FILE, the hub to create the devices on (an embedded hub would vanish with them)');
  const devices = opts.remove ? undefined : int('--devices', opts.devices ?? (() => { throw bad('provision: give --devices N, how many devices to create'); })(), 1, 10_000_000);
  const rate = int('--rate', opts.rate, 0.1, 100_000);
  const concurrency = int('--concurrency', opts.concurrency, 1, 256);
  const { provision, removeProvisioned, stateFileOf, DEFAULT_PROVISION_RATE } = await import('../../load/fleet/provision.js');
  const launched = await launch(await descriptorFor(opts.target));
  if (launched.target.launcher === 'embedded') { await launched.stop(); throw bad('provision: the target is the embedded hub, which forgets its devices when it stops; give --target a hub that keeps running'); }
  const api = new CloudApi({ endpoint: launched.target.endpoints.api, ...launched.target.cloudApi });
  // Ctrl-C stops sending and lets the requests in flight land in the file: a rerun continues from there.
  const abort = new AbortController();
  const onSignal = () => { abort.abort(); err.write('\nprovision: stopping after the requests in flight (rerun the same command to continue)\n'); };
  process.once('SIGINT', onSignal);
  let last = -Infinity;
  const onProgress = (p: { phase: string; done: number; total: number; t: number; throttled: number; recovered: number }) => {
    const line = `${p.phase} ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}  ${p.t.toFixed(0)} s  throttled ${p.throttled}${p.phase === 'create' ? `  recovered ${p.recovered}` : ''}`;
    if (err.isTTY) err.write(`\r\x1b[2K${line}`);
    else if (p.t - last >= 5 || p.done === p.total) { last = p.t; err.write(`${line}\n`); }
  };
  try {
    if (opts.remove) {
      const r = await removeProvisioned({ api, file, ...(rate ? { rate } : {}), ...(concurrency ? { concurrency } : {}), signal: abort.signal, onProgress });
      if (err.isTTY) err.write('\n');
      if (abort.signal.aborted) { write(`provision: removal stopped after ${r.deleted} devices; rerun with --remove to finish`); return 1; }
      write(`provision: removed ${r.deleted} devices and product ${r.productId ?? '(never created)'}; deleted ${file} and ${stateFileOf(file)}`);
      return 0;
    }
    const r = await provision({ api, file, devices: devices!, ...(rate ? { rate } : {}), ...(concurrency ? { concurrency } : {}), ...(opts.productName ? { productName: opts.productName } : {}), signal: abort.signal, onProgress });
    if (err.isTTY) err.write('\n');
    write(`provision: product ${r.productId}: ${r.created} created, ${r.recovered} found created by an earlier run, ${r.alreadyInFile} already in ${file} (${r.durationS.toFixed(1)} s at most ${rate ?? DEFAULT_PROVISION_RATE} requests/s)`);
    if (!r.complete) { write(`provision: stopped before all ${devices} devices; rerun the same command to continue`); return 1; }
    write(`credentials: ${file}; use them with hubcheck load SCENARIO --target ${opts.target} --fixtures ${file}; remove them with hubcheck provision ${file} --target ${opts.target} --remove`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    await launched.stop();
  }
}

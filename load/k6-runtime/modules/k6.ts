/** The `k6` module: check, group, sleep, fail, randomSeed. */
import { blockFor, emit, vu } from '../vu/state.js';

type Checker<T> = (v: T) => unknown;

/** Records one sample of the built-in `checks` Rate per assertion (tagged with its name) and returns whether all held. */
export function check<T>(val: T, sets: Record<string, Checker<T> | unknown>, tags?: Record<string, string>): boolean {
  let all = true;
  for (const [name, c] of Object.entries(sets)) {
    let ok: boolean;
    try { ok = !!(typeof c === 'function' ? (c as Checker<T>)(val) : c); } catch { ok = false; }
    emit('checks', ok ? 1 : 0, { ...tags, check: name });
    if (!ok) all = false;
  }
  return all;
}

/** Runs fn with the group tag `::name` on its samples; k6 forbids async functions here. */
export function group<T>(name: string, fn: () => T): T {
  if (fn.constructor.name === 'AsyncFunction') throw new Error(`group ${name}: async functions are not supported in group()`);
  const outer = vu.group;
  vu.group = `${outer}::${name}`;
  try { return fn(); } finally { vu.group = outer; }
}

/** Suspends the VU for t seconds without running its event loop (k6 semantics: message handlers wait too). */
export function sleep(t: number): void {
  if (vu.init) throw new Error('sleep() is not allowed in the init context');
  if (t > 0) blockFor(t * 1000);
}

export function fail(err?: string): never { throw new Error(err ?? ''); }

/** Seeded Math.random (mulberry32), so a script's random choices repeat. */
export function randomSeed(seed: number): void {
  let a = seed >>> 0;
  Math.random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export default { check, group, sleep, fail, randomSeed };

/** Reads which tests cite which requirement ids without running anything (vitest's collect phase). */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type {} from 'vitest/node'; // the types vitest-context.js augments
import './vitest-context.js';
import { ROOT } from './paths.js';

export interface CollectedTest { name: string; file: string; requirements: string[] }

/**
 * Collecting imports every suite file and what it imports (tens of seconds on a small machine), so the result is kept in
 * .cache/ under a digest of everything a test's name or requirement ids can come from: the suites, the catalogue, the
 * sources they import and the vitest config. Any change to those files collects again; a cache that cannot be read or
 * written (a read-only install) only costs the time.
 */
const CACHE = path.join(ROOT, '.cache', 'collected-tests.json');
const INPUTS = ['suites', 'specs', 'src', 'vitest.config.ts', 'package.json'];

/** A digest of the files under `entries` (paths relative to `root`), names and contents, in a stable order. */
export function digestOf(root: string, entries: readonly string[]): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch {
      hash.update(`${rel}\0`);
      try { hash.update(readFileSync(abs)); } catch { hash.update('(none)'); }
      return;
    }
    for (const name of names) walk(path.join(rel, name));
  };
  for (const entry of entries) walk(entry);
  return hash.digest('hex');
}

function cached(file: string, digest: string): CollectedTest[] | undefined {
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as { digest?: string; tests?: CollectedTest[] };
    return c.digest === digest && Array.isArray(c.tests) ? c.tests : undefined;
  } catch {
    return undefined;
  }
}

function keep(file: string, digest: string, tests: CollectedTest[]): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // written aside and renamed, so a concurrent reader never sees half a file
    const part = `${file}.${process.pid}`;
    writeFileSync(part, JSON.stringify({ digest, tests }));
    renameSync(part, file);
  } catch { /* read-only install: collect again next time */ }
}

/** The cache around a collector: `collect` runs only when `file` holds no result for the current digest of `inputs`. */
export async function cachedCollect(root: string, inputs: readonly string[], file: string, collect: () => Promise<CollectedTest[]>): Promise<CollectedTest[]> {
  const digest = digestOf(root, inputs);
  const hit = cached(file, digest);
  if (hit) return hit;
  const tests = await collect();
  keep(file, digest, tests);
  return tests;
}

export function collectTests(): Promise<CollectedTest[]> {
  return cachedCollect(ROOT, INPUTS, CACHE, collectFresh);
}

async function collectFresh(): Promise<CollectedTest[]> {
  const { createVitest } = await import('vitest/node'); // heavy: only when the cache misses
  const vitest = await createVitest('test', { root: ROOT, config: path.join(ROOT, 'vitest.config.ts'), project: ['conformance', 'conformance-exclusive'], watch: false, reporters: [] });
  try {
    const { testModules } = await vitest.collect();
    return testModules.flatMap((m) => [...m.children.allTests()].map((t) => ({
      name: t.name,
      file: path.relative(ROOT, m.moduleId),
      requirements: t.meta().requirements ?? [],
    })));
  } finally {
    await vitest.close();
  }
}

/** Writes the three report files of a run into one directory, and mints run ids. */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from './model.js';
import { toHtml } from './html.js';
import { toJUnitXml } from './junit.js';

export async function writeReports(dir: string, result: RunResult): Promise<{ json: string; junit: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const paths = { json: join(dir, 'results.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'index.html') };
  await Promise.all([
    writeFile(paths.json, JSON.stringify(result, null, 2) + '\n', 'utf8'),
    writeFile(paths.junit, toJUnitXml(result), 'utf8'),
    writeFile(paths.html, toHtml(result), 'utf8'),
  ]);
  return paths;
}

/**
 * e.g. "2026-11-26T15-32-17-abc123": UTC so ids sort by time whatever the machine's zone,
 * no colons so it is a valid directory name on Windows, random suffix for runs in the same second.
 */
export function newRunId(date: Date = new Date()): string {
  const stamp = date.toISOString().slice(0, 19).replace(/:/g, '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

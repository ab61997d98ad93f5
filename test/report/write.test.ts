/** Writing the report files to disk, and run id format. */
import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRunId, writeReports } from '../../src/report/write.js';
import { mixedTests, run } from './fixtures.js';

describe('writeReports', () => {
  it('creates the directory and writes results.json, junit.xml and index.html', async () => {
    const base = await mkdtemp(join(tmpdir(), 'hubcheck-report-'));
    try {
      const dir = join(base, 'nested', 'run');
      const result = run(mixedTests);
      const paths = await writeReports(dir, result);
      expect(paths).toEqual({ json: join(dir, 'results.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'index.html') });
      expect(JSON.parse(await readFile(paths.json, 'utf8'))).toEqual(result);
      expect(await readFile(paths.junit, 'utf8')).toContain('<testsuites name="hubcheck"');
      expect(await readFile(paths.html, 'utf8')).toContain('<!doctype html>');
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('newRunId', () => {
  it('is a sortable, filesystem-safe UTC timestamp with a random suffix', () => {
    const id = newRunId(new Date('2026-11-26T15:32:17.456Z'));
    expect(id).toMatch(/^2026-11-26T15-32-17-[0-9a-f]{6}$/);
    expect(id).not.toMatch(/[:/\\ ]/);
    expect(newRunId(new Date('2026-11-26T15:32:17Z'))).not.toBe(newRunId(new Date('2026-11-26T15:32:17Z')));
    expect(newRunId(new Date('2026-01-02T03:04:05Z')) < newRunId(new Date('2026-11-26T00:00:00Z'))).toBe(true);
  });
});

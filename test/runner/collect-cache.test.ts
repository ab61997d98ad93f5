// The collected tests are kept under a digest of the files they come from: a hit skips vitest's collect phase, any
// change to those files (content, a new file, a removed one) collects again, and an unwritable cache only costs time.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { cachedCollect, type CollectedTest } from '../../src/runner/collect.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

function tree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'hubcheck-collect-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'suites', 'support'), { recursive: true });
  writeFileSync(path.join(root, 'suites', 'a.test.ts'), 'it("[X-001] a")');
  writeFileSync(path.join(root, 'suites', 'support', 'names.ts'), 'export const n = 1;');
  writeFileSync(path.join(root, 'vitest.config.ts'), 'export default {}');
  return root;
}

it('collects once per state of the inputs', async () => {
  const root = tree();
  const file = path.join(root, '.cache', 'collected.json');
  let collects = 0;
  const collect = async (): Promise<CollectedTest[]> => [{ name: `run ${++collects}`, file: 'suites/a.test.ts', requirements: ['X-001'] }];
  const inputs = ['suites', 'vitest.config.ts'];
  const first = await cachedCollect(root, inputs, file, collect);
  expect(await cachedCollect(root, inputs, file, collect)).toEqual(first);
  expect(collects).toBe(1);

  writeFileSync(path.join(root, 'suites', 'support', 'names.ts'), 'export const n = 2;');
  expect((await cachedCollect(root, inputs, file, collect))[0]!.name).toBe('run 2');
  writeFileSync(path.join(root, 'suites', 'b.test.ts'), '');
  expect((await cachedCollect(root, inputs, file, collect))[0]!.name).toBe('run 3');
  unlinkSync(path.join(root, 'suites', 'b.test.ts'));
  expect((await cachedCollect(root, inputs, file, collect))[0]!.name).toBe('run 4');
  writeFileSync(path.join(root, 'vitest.config.ts'), 'export default { x: 1 }');
  expect((await cachedCollect(root, inputs, file, collect))[0]!.name).toBe('run 5');
  expect(await cachedCollect(root, inputs, file, collect)).toEqual([{ name: 'run 5', file: 'suites/a.test.ts', requirements: ['X-001'] }]);
  expect(collects).toBe(5);

  // a damaged cache file is a miss, not an error
  writeFileSync(file, '{"digest": ');
  expect((await cachedCollect(root, inputs, file, collect))[0]!.name).toBe('run 6');
});

it('still answers when the cache cannot be written', async () => {
  const root = tree();
  writeFileSync(path.join(root, 'blocker'), ''); // a file where the cache directory would go
  let collects = 0;
  const collect = async (): Promise<CollectedTest[]> => [{ name: `run ${++collects}`, file: 'suites/a.test.ts', requirements: [] }];
  const file = path.join(root, 'blocker', 'collected.json');
  expect((await cachedCollect(root, ['suites'], file, collect))[0]!.name).toBe('run 1');
  expect((await cachedCollect(root, ['suites'], file, collect))[0]!.name).toBe('run 2');
});

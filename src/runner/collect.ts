/** Reads which tests cite which requirement ids without running anything (vitest's collect phase). */
import path from 'node:path';
import { createVitest } from 'vitest/node';
import './vitest-context.js';
import { ROOT } from './paths.js';

export interface CollectedTest { name: string; file: string; requirements: string[] }

export async function collectTests(): Promise<CollectedTest[]> {
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

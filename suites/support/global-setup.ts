// Starts the embedded reference hub for the suites, unless `hubcheck run` already provided a target.
import type { TestProject } from 'vitest/node';
import '../../src/runner/vitest-context.js';
import { launch } from '../../src/target/launch.js';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (project.getProvidedContext().target) return undefined;
  const launched = await launch({ launcher: 'embedded' });
  project.provide('target', launched.target);
  return () => launched.stop();
}

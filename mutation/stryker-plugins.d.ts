// Types of mutation/stryker-plugins.js (JavaScript, so Stryker's worker processes can load it without a TypeScript loader).
import type { Mutant } from '@stryker-mutator/api/core';

export interface SampleOption { size?: number; percent?: number; seed: string }
export interface Sample { seed: string; method: string; population: number; drawn: number; ids: string[] }

export function mutantKey(m: Mutant, root: string): string;
export function drawSample(mutants: readonly Mutant[], option: SampleOption, root: string): Sample;
export const strykerPlugins: unknown[];
export function reattribute(
  files: { filepath: string; meta?: { mutantCoverage?: { static: Record<string, number> }; hubcheckStartupCoverage?: Record<string, number> } }[],
  tests: { id: string; fileName?: string }[],
  coverage: { static: Record<string, number>; perTest: Record<string, Record<string, number>> },
): { static: Record<string, number>; perTest: Record<string, Record<string, number>> };

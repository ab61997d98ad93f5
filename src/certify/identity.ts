/**
 * The suite's identity: which hubcheck judged, and a content digest of everything that decides a verdict (the
 * requirement catalogue, the suites and the schemas), so a bundle says exactly which rules it was judged by.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, VERSION } from '../runner/paths.js';

/** The folders whose content decides a verdict. */
export const SUITE_FOLDERS = ['specs', 'suites', 'schemas'] as const;

export interface SuiteIdentity {
  hubcheckVersion: string;
  /** sha256 over the files of SUITE_FOLDERS, as DIGEST_RECIPE says. */
  digest: string;
  folders: string[];
  files: number;
}

/** How to recompute the digest with coreutils alone, for someone who trusts no hubcheck. */
export const DIGEST_RECIPE = `cd HUBCHECK_CHECKOUT && find ${SUITE_FOLDERS.join(' ')} -type f | LC_ALL=C sort | xargs sha256sum | sha256sum`;

/** Every regular file under dir, as paths relative to root with forward slashes. */
function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...filesUnder(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Plain code-unit order: for the ASCII paths of a checkout it is the byte order `LC_ALL=C sort` gives. */
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * sha256 of the text `sha256sum` prints for the files sorted by path ("<hex>  <path>\n" per file): deterministic,
 * independent of the file system's order and of timestamps, and checkable with DIGEST_RECIPE.
 */
export function suiteIdentity(root: string = ROOT): SuiteIdentity {
  const files = SUITE_FOLDERS.flatMap((d) => filesUnder(root, d)).sort(byCodeUnit);
  const listing = files.map((f) => `${createHash('sha256').update(readFileSync(path.join(root, f))).digest('hex')}  ${f}\n`).join('');
  return {
    hubcheckVersion: VERSION,
    digest: `sha256:${createHash('sha256').update(listing).digest('hex')}`,
    folders: [...SUITE_FOLDERS],
    files: files.length,
  };
}

let own: SuiteIdentity | undefined;
/** This hubcheck's own suite identity (computed once per process). */
export function ownSuiteIdentity(): SuiteIdentity {
  own ??= suiteIdentity();
  return own;
}

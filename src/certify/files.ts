/** The files of a bundle directory and their digests, listed the same way when writing and when verifying. */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The Sigstore bundle holding the signed statement: the one file the statement cannot name. */
export const ATTESTATION_FILE = 'attestation.sigstore.json';
export const MANIFEST_FILE = 'manifest.json';
export const PREDICATE_FILE = 'certification.json';
export const PUBLIC_KEY_FILE = 'signer.pub';

/** Bounds a walk of a directory someone handed us: a bundle holds a few hundred files in two levels. */
const MAX_FILES = 20_000;
const MAX_DEPTH = 8;

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every entry under dir as a relative path with forward slashes, sorted. Anything that is not a plain file or folder
 * (a symbolic link, a socket) is listed too, marked, so the verifier refuses it rather than following it.
 */
export function listFiles(dir: string): { files: string[]; odd: string[] } {
  const files: string[] = [];
  const odd: string[] = [];
  const walk = (rel: string, depth: number): void => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${entry.name}` : entry.name;
      if (files.length + odd.length >= MAX_FILES) { odd.push(`${p} (and more: over ${MAX_FILES} entries)`); return; }
      if (entry.isDirectory() && !lstatSync(path.join(dir, p)).isSymbolicLink()) {
        if (depth >= MAX_DEPTH) odd.push(`${p}/ (nested deeper than ${MAX_DEPTH})`);
        else walk(p, depth + 1);
      } else if (entry.isFile()) files.push(p);
      else odd.push(p);
    }
  };
  walk('', 0);
  return { files: files.sort(byCodeUnit), odd: odd.sort(byCodeUnit) };
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestFile(dir: string, rel: string): { sha256: string; bytes: number } {
  const data = readFileSync(path.join(dir, rel));
  return { sha256: sha256Hex(data), bytes: data.length };
}

// Stages a lean build context for one of the two images, from this checkout and its node_modules:
//   hub  (default): hub/ and only the packages the hub imports (the hub never imports src/);
//   load: the whole CLI (bin/, src/, load/, hub/, specs/, schemas/): `hubcheck load` runs the embedded hub when
//         given no target, reads the target schema and the catalogue, and its commands share modules.
// Either way: a minimal package.json, the packages imported (found by scanning the folders) plus tsx, with
// everything they depend on, and the kind's Dockerfile.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = path.resolve(process.argv[2] ?? path.join(root, 'docker', '.context'));
const kind = process.argv[3] ?? 'hub';
const KINDS = {
  hub: { folders: ['hub'], dockerfile: 'Dockerfile' },
  load: { folders: ['bin', 'src', 'load', 'hub', 'specs', 'schemas'], dockerfile: 'Dockerfile.load' },
};
if (!KINDS[kind]) throw new Error(`stage-context: unknown image kind "${kind}"; use hub or load`);
const { folders, dockerfile } = KINDS[kind];

/** Bare package names imported anywhere under the kind's folders (node: builtins and relative paths left out). */
function imports() {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const p = path.join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(entry)) {
        const text = readFileSync(p, 'utf8');
        const specs = [
          ...text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm), // import x from 'p', export * from 'p' (not import type)
          ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm), // import 'p'
          ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g), // import('p')
        ].map((m) => m[1]);
        for (const spec of specs) {
          if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
          // k6 and its extensions' modules (load/k6/*.ts) are provided by k6 or by load/k6-runtime, not by npm.
          if (spec === 'k6' || spec.startsWith('k6/')) continue;
          names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
  };
  for (const folder of folders) walk(path.join(root, folder));
  return names;
}

/** Finds where Node would resolve `name` from a package folder (nested node_modules first, then upwards). */
function resolvePackage(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir || !dir.startsWith(root)) return undefined;
    dir = parent;
  }
}

const wanted = [...new Set([...imports(), 'tsx'])];
const seen = new Set();
const queue = wanted.map((name) => ({ name, from: root, optional: false }));
while (queue.length) {
  const { name, from, optional } = queue.shift();
  const dir = resolvePackage(name, from);
  if (!dir) {
    if (optional) continue; // another platform's optional binary
    throw new Error(`stage-context: ${name} (needed from ${path.relative(root, from) || '.'}) is not installed; run npm ci first`);
  }
  if (seen.has(dir)) continue;
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false });
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true });
  for (const [dep, meta] of Object.entries(pkg.peerDependenciesMeta ?? {})) if (!meta.optional && pkg.peerDependencies?.[dep]) queue.push({ name: dep, from: dir, optional: true });
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const folder of folders) {
  cpSync(path.join(root, folder), path.join(out, folder), { recursive: true, filter: (p) => !/\.(db|db-wal|db-shm)$/.test(p) && !p.includes(`${path.sep}test${path.sep}`) });
}
for (const dir of seen) {
  // better-sqlite3 keeps its sources and build intermediates beside the addon: only the addon is needed.
  cpSync(dir, path.join(out, path.relative(root, dir)), {
    recursive: true,
    filter: (p) => !(path.basename(dir) === 'better-sqlite3' && /^\/(deps|src|test|build\/(Release\/(obj|\.deps|sqlite3\.a|test_extension\.node)|deps))(\/|$)/.test(p.slice(dir.length))),
  });
}
const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
// The CLI reads its version from package.json; the bin entry lets `npx hubcheck` work inside the image too.
writeFileSync(path.join(out, 'package.json'), JSON.stringify({ name: `hubcheck-${kind}`, version: rootPkg.version, private: true, type: 'module', license: rootPkg.license, ...(kind === 'load' ? { bin: rootPkg.bin } : {}) }, null, 2) + '\n');
cpSync(path.join(root, 'docker', dockerfile), path.join(out, 'Dockerfile'));
process.stdout.write(`stage-context: ${out}: ${folders.join('/, ')}/ and ${seen.size} packages (${[...wanted].sort().join(', ')} and their dependencies)\n`);

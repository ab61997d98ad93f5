// Stages a lean build context for the hub image: hub/, a minimal package.json, and from the host's
// node_modules only the packages the hub imports (found by scanning hub/) plus tsx, with everything
// they depend on. The hub never imports src/, so nothing else is needed at run time.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const out = path.resolve(process.argv[2] ?? path.join(root, 'docker', '.context'));

/** Bare package names imported anywhere under hub/ (node: builtins and relative paths left out). */
function hubImports() {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const p = path.join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(entry)) {
        const text = readFileSync(p, 'utf8');
        const specs = [
          ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm), // import x from 'p', export * from 'p'
          ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm), // import 'p'
          ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g), // import('p')
        ].map((m) => m[1]);
        for (const spec of specs) {
          if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
          names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
  };
  walk(path.join(root, 'hub'));
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

const wanted = [...hubImports(), 'tsx'];
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
cpSync(path.join(root, 'hub'), path.join(out, 'hub'), { recursive: true, filter: (p) => !/\.(db|db-wal|db-shm)$/.test(p) && !p.includes(`${path.sep}test${path.sep}`) });
for (const dir of seen) {
  // better-sqlite3 keeps its sources and build intermediates beside the addon: only the addon is needed.
  cpSync(dir, path.join(out, path.relative(root, dir)), {
    recursive: true,
    filter: (p) => !(path.basename(dir) === 'better-sqlite3' && /^\/(deps|src|test|build\/(Release\/(obj|\.deps|sqlite3\.a|test_extension\.node)|deps))(\/|$)/.test(p.slice(dir.length))),
  });
}
const rootPkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
writeFileSync(path.join(out, 'package.json'), JSON.stringify({ name: 'hubcheck-hub', version: rootPkg.version, private: true, type: 'module', license: rootPkg.license }, null, 2) + '\n');
cpSync(path.join(root, 'docker', 'Dockerfile'), path.join(out, 'Dockerfile'));
process.stdout.write(`stage-context: ${out}: hub/ and ${seen.size} packages (${[...wanted].sort().join(', ')} and their dependencies)\n`);

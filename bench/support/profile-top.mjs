// Prints the functions with the most self time in a .cpuprofile, with where they are:
//   node bench/support/profile-top.mjs FILE [N]
import { readFileSync } from 'node:fs';

const [file, n = '30'] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/support/profile-top.mjs FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
for (const [id, us] of self) {
  const f = byId.get(id).callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(hub|src|load)\//, '$1/')}:${f.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
}
console.log(`${(total / 1e6).toFixed(1)} s sampled`);
for (const [k, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`);

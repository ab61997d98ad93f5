/** Copies every mapped example out of protocol.md and the seed into test/schema/examples/examples.json: `npx tsx test/schema/tools/gen-examples.ts`. */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { allCandidates, candidateKey } from '../doc/extract.js';
import { MAPPED_EXAMPLES } from '../example-map.js';
import { CATALOGUE_URL, sourceLabel, type CatalogueEntry } from '../examples/catalogue.js';

const reference = new URL('../../../../shared/reference/', import.meta.url);
const protocol = readFileSync(new URL('protocol.md', reference), 'utf8');
const seedDir = new URL('seed/', reference);
const seed = readdirSync(seedDir).sort().map((f) => readFileSync(new URL(f, seedDir), 'utf8')).join('\n');
const byKey = new Map(allCandidates(protocol, seed).map((c) => [candidateKey(c), c]));
const entries: CatalogueEntry[] = MAPPED_EXAMPLES.map((m) => {
  const c = byKey.get(candidateKey(m));
  if (!c) throw new Error(`mapped example not found: ${m.id} (${candidateKey(m)})`);
  return { id: m.id, source: sourceLabel(m.doc, m.heading), doc: m.doc, heading: m.heading, ordinal: m.ordinal, text: c.text, value: c.value };
});
writeFileSync(CATALOGUE_URL, JSON.stringify(entries, null, 2) + '\n');
console.log(`wrote ${entries.length} examples to ${CATALOGUE_URL.pathname}`);

/** When shared/reference is present, the copied examples and the generated cloud API schema must still match protocol.md and the seed. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { allCandidates, candidateKey } from './doc/extract.js';
import { parseAppendix } from './doc/appendix.js';
import { IGNORED_EXAMPLES, MAPPED_EXAMPLES } from './example-map.js';
import { readCatalogue } from './examples/catalogue.js';
import { buildCloudApiSchema } from './tools/gen-cloud-api.js';

const reference = new URL('../../../shared/reference/', import.meta.url);
const protocolUrl = new URL('protocol.md', reference);
const seedDir = new URL('seed/', reference);
const present = existsSync(protocolUrl);

describe.skipIf(!present)('copies agree with ../shared/reference (skipped when it is absent)', () => {
  const protocol = present ? readFileSync(protocolUrl, 'utf8') : '';
  const seed = present && existsSync(seedDir)
    ? readdirSync(seedDir).sort().map((f) => readFileSync(new URL(f, seedDir), 'utf8')).join('\n')
    : undefined;
  const candidates = present ? allCandidates(protocol, seed) : [];
  const byKey = new Map(candidates.map((c) => [candidateKey(c), c]));

  it('every mapped example is still in the document, unchanged', () => {
    const catalogue = new Map(readCatalogue().map((e) => [e.id, e]));
    const problems: string[] = [];
    for (const m of MAPPED_EXAMPLES) {
      if (m.doc === 'seed' && seed === undefined) continue;
      const c = byKey.get(candidateKey(m));
      const copy = catalogue.get(m.id);
      if (!c) problems.push(`${m.id}: no example at ${candidateKey(m)}`);
      else if (!copy) problems.push(`${m.id}: not copied (run npx tsx test/schema/tools/gen-examples.ts)`);
      else if (c.text !== copy.text) problems.push(`${m.id}: text differs from ${candidateKey(m)}`);
      else expect(copy.value, m.id).toEqual(c.value);
    }
    expect(problems).toEqual([]);
  });

  it('every example in the document is either mapped to a schema or ignored with a reason', () => {
    const known = new Set([...MAPPED_EXAMPLES, ...IGNORED_EXAMPLES].map(candidateKey));
    const unmapped = candidates.map(candidateKey).filter((k) => !known.has(k));
    expect(unmapped).toEqual([]);
    const stale = IGNORED_EXAMPLES.map(candidateKey).filter((k) => !byKey.has(k));
    expect(stale).toEqual([]);
  });

  it('schemas/cloud-api.schema.json is what Appendix A/B generate (npx tsx test/schema/tools/gen-cloud-api.ts)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../schemas/cloud-api.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).toEqual(buildCloudApiSchema(parseAppendix(protocol)));
  });

  it('25 request types spell ProductID (compat.md)', () => {
    const app = parseAppendix(protocol);
    const withID = [...app.actions.values()].filter((a) => a.request.some((r) => r.name === 'ProductID'));
    expect(withID).toHaveLength(25);
  });
});

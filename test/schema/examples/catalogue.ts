/** Reads the copied examples (test/schema/examples/examples.json), so tests never need shared/reference at run time. */
import { readFileSync } from 'node:fs';
import type { DocName } from '../doc/extract.js';

export interface CatalogueEntry { id: string; source: string; doc: DocName; heading: string; ordinal: number; text: string; value: unknown }

export const CATALOGUE_URL = new URL('./examples.json', import.meta.url);

export function readCatalogue(): CatalogueEntry[] {
  return JSON.parse(readFileSync(CATALOGUE_URL, 'utf8')) as CatalogueEntry[];
}

export function sourceLabel(doc: DocName, heading: string): string {
  return doc === 'seed' ? `seed notes, ${heading}` : heading.startsWith('Appendix A') ? `protocol.md ${heading}` : `protocol.md §${heading}`;
}

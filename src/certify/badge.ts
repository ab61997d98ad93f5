/** The certification badge: a small flat SVG (shields.io's layout) a vendor can show beside a release. */
import type { CertificationPredicate } from './predicate.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Verdana 11px averages about 6.5 px a character; wide enough for any text a badge holds, never clipped. */
const textWidth = (s: string): number => Math.ceil(s.length * 6.5) + 10;

export function badgeSvg(p: Pick<CertificationPredicate, 'result' | 'profile'>): string {
  const left = 'hubcheck';
  const right = p.result === 'certified' ? `certified · ${p.profile}` : `not certified · ${p.profile}`;
  const colour = p.result === 'certified' ? '#2e7d32' : '#c62828';
  const lw = textWidth(left);
  const rw = textWidth(right);
  const w = lw + rw;
  const label = `${left}: ${right}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="20" role="img" aria-label="${esc(label)}" data-result="${p.result}">
  <title>${esc(label)}</title>
  <linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
  <clipPath id="r"><rect width="${w}" height="20" rx="3" fill="#fff"/></clipPath>
  <g clip-path="url(#r)">
    <rect width="${lw}" height="20" fill="#555"/>
    <rect x="${lw}" width="${rw}" height="20" fill="${colour}"/>
    <rect width="${w}" height="20" fill="url(#s)"/>
  </g>
  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
    <text x="${lw / 2}" y="14">${esc(left)}</text>
    <text x="${lw + rw / 2}" y="14">${esc(right)}</text>
  </g>
</svg>
`;
}

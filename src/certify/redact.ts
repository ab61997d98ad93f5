/**
 * Secrets out of a bundle: the target descriptor with every secret field replaced, and the secret values themselves
 * scrubbed from any text copied into the bundle (a hub's log may print its API key, a transcript a fixture's PSK).
 */
import type { TargetDescriptor } from '../target/descriptor.js';

export const REDACTED = '[redacted]';

/** Environment variable names whose values are secrets (HUB_SECRET_KEY, API_TOKEN, DB_PASSWORD, TLS_PSK…). */
const SECRET_NAME = /secret|passw|token|psk|private|credential|api[-_]?key|(^|_)key$/i;
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Shorter values are not scrubbed from text: replacing every "ab" would wreck the bundle and hide nothing. */
const MIN_SCRUB_LENGTH = 6;

export interface Redacted { descriptor: unknown; secrets: string[] }

/** The descriptor with secretKey, PSKs, passwords, secret-looking env values, private keys and URL passwords redacted. */
export function redactDescriptor(d: TargetDescriptor): Redacted {
  const secrets: string[] = [];
  const hide = (v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    secrets.push(v);
    return REDACTED;
  };
  const copy = structuredClone(d) as TargetDescriptor;
  if (copy.cloudApi) copy.cloudApi.secretKey = hide(copy.cloudApi.secretKey)!;
  if (copy.plainLogin) copy.plainLogin.password = hide(copy.plainLogin.password)!;
  for (const device of copy.fixtures?.devices ?? []) device.psk = hide(device.psk)!;
  for (const env of [copy.process?.env, copy.container?.env]) {
    for (const [k, v] of Object.entries(env ?? {})) if (SECRET_NAME.test(k) || PRIVATE_KEY_PEM.test(v)) env![k] = hide(v)!;
  }
  for (const [file, content] of Object.entries(copy.container?.files ?? {})) {
    if (PRIVATE_KEY_PEM.test(content) || SECRET_NAME.test(file)) copy.container!.files![file] = hide(content)!;
  }
  for (const [k, url] of Object.entries(copy.endpoints ?? {}) as [keyof NonNullable<TargetDescriptor['endpoints']>, string][]) {
    try {
      const u = new URL(url);
      if (u.password) {
        secrets.push(decodeURIComponent(u.password));
        u.password = 'redacted';
        copy.endpoints![k] = u.toString();
      }
    } catch { /* not a URL: the schema let it through, nothing to hide in it */ }
  }
  // A private key can only appear inline, but in any string field: catch what the named fields did not.
  const sweep = (v: unknown): unknown => {
    if (typeof v === 'string') return PRIVATE_KEY_PEM.test(v) ? hide(v) : v;
    if (Array.isArray(v)) return v.map(sweep);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sweep(x)]));
    return v;
  };
  return { descriptor: sweep(copy), secrets };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A function that replaces every occurrence of the secrets (long enough to matter) in a text, and of their JSON-escaped forms. */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s.length < MIN_SCRUB_LENGTH) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1)); // as it appears inside a JSON string
  }
  if (forms.size === 0) return (text) => text;
  // Longest first, so a secret that contains another is replaced whole.
  const pattern = new RegExp([...forms].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}

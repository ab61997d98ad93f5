/** Cloud API request signing, TC3-HMAC-SHA256 and the older v1 (protocol.md §9.3, §9.4). */
import { createHash, createHmac } from 'node:crypto';

const sha256hex = (s: string): string => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s).digest();

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  service: string;      // "iotcloud"
  host: string;         // as signed (the official SDK signs it without the port)
  timestamp: number;    // seconds
  body: string;         // the JSON body exactly as sent
  contentType?: string; // default application/json
  /** The credential scope's date; default (and the only correct value) the UTC date of `timestamp`. */
  date?: string;
}

export interface Tc3Signature { authorization: string; hashedBody: string; hashedCanonicalRequest: string; signature: string }

export function signTc3(i: Tc3Input): Tc3Signature {
  const contentType = i.contentType ?? 'application/json';
  const hashedBody = sha256hex(i.body);
  const canonical = ['POST', '/', '', `content-type:${contentType}\nhost:${i.host}\n`, 'content-type;host', hashedBody].join('\n');
  const hashedCanonicalRequest = sha256hex(canonical);
  const date = i.date ?? utcDateOf(i.timestamp);
  const scope = `${date}/${i.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(i.timestamp), scope, hashedCanonicalRequest].join('\n');
  const signing = hmac(hmac(hmac(`TC3${i.secretKey}`, date), i.service), 'tc3_request');
  const signature = createHmac('sha256', signing).update(stringToSign).digest('hex');
  return {
    authorization: `TC3-HMAC-SHA256 Credential=${i.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`,
    hashedBody,
    hashedCanonicalRequest,
    signature,
  };
}

/** The UTC date (yyyy-mm-dd) of a Unix time in seconds: the date a TC3 credential scope must name (protocol.md §9.4). */
export function utcDateOf(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

/** v1 signature: Base64(HMAC(secretKey, METHOD + host + path + "?" + sorted raw params)). */
export function signV1(method: 'GET' | 'POST', host: string, params: Record<string, string>, secretKey: string, algorithm: 'HmacSHA1' | 'HmacSHA256' = 'HmacSHA1'): string {
  const query = Object.keys(params).filter((k) => k !== 'Signature').sort().map((k) => `${k}=${params[k]}`).join('&');
  return createHmac(algorithm === 'HmacSHA256' ? 'sha256' : 'sha1', secretKey).update(`${method}${host}/?${query}`).digest('base64');
}

/**
 * Action parameters as signature v1 sends them (protocol.md §9.1): lists as `Name.N` (0-based), nested objects with
 * dots, every value as text.
 */
export function flattenV1(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (value: unknown, at: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}.${i}`));
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, at ? `${at}.${k}` : k);
    else if (value !== undefined) out[at] = String(value);
  };
  walk(params, '');
  return out;
}

// Verification of TC3-HMAC-SHA256 request signatures for the cloud API (protocol.md §9.4).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { API_TIMESTAMP_SKEW_SECONDS } from '../limits.js';
import { ApiError } from './errors.js';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';
export const SERVICE = 'iotcloud';

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

export interface CanonicalInput {
  method: string;
  query: string;
  /** [lowercase name, value] in SignedHeaders order. */
  headers: readonly (readonly [string, string])[];
  hashedPayload: string;
}

export function canonicalRequest(c: CanonicalInput): string {
  const canonicalHeaders = c.headers.map(([k, v]) => `${k}:${v}\n`).join('');
  const signedHeaders = c.headers.map(([k]) => k).join(';');
  return [c.method, '/', c.query, canonicalHeaders, signedHeaders, c.hashedPayload].join('\n');
}

/** The v3 signature: HMAC chain over date, service and "tc3_request", then over the string to sign. */
export function tc3Signature(secretKey: string, timestamp: number, service: string, canonical: string, date = utcDate(timestamp)): string {
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = [TC3_ALGORITHM, String(timestamp), scope, sha256hex(canonical)].join('\n');
  const secretDate = hmac('TC3' + secretKey, date);
  const secretService = hmac(secretDate, service);
  const secretSigning = hmac(secretService, 'tc3_request');
  return createHmac('sha256', secretSigning).update(stringToSign, 'utf8').digest('hex');
}

export function utcDate(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().slice(0, 10);
}

const AUTH_RE =
  /^TC3-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{4}-\d{2}-\d{2})\/([^/\s,]+)\/tc3_request\s*,\s*SignedHeaders=([A-Za-z0-9;._-]+)\s*,\s*Signature=([0-9a-fA-F]{64})\s*$/;

export interface VerifyInput {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  timestamp: number; // X-TC-Timestamp, already parsed
  nowSeconds: number;
  credentials: { secretId: string; secretKey: string };
  /** Fault switches of the signature check (hub/faults.ts). */
  faults?: { has(name: string): boolean };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Throws the Tencent AuthFailure.* error for a request whose Authorization does not verify.
 * compat.md: the official SDK signs the host without the port while its Host header keeps it, so both forms are tried.
 */
export function verifyTc3(input: VerifyInput): void {
  const authorization = header(input.headers, 'authorization');
  // API-013 (fault api-no-auth-accepted serves a request that carries no Authorization at all)
  if (!authorization && input.faults?.has('api-no-auth-accepted')) return;
  if (!authorization) throw new ApiError('AuthFailure.InvalidAuthorization', 'the Authorization header is missing');
  const m = AUTH_RE.exec(authorization);
  if (!m) {
    throw new ApiError(
      'AuthFailure.InvalidAuthorization',
      'Authorization must be "TC3-HMAC-SHA256 Credential=<SecretId>/<yyyy-mm-dd>/iotcloud/tc3_request, SignedHeaders=content-type;host, Signature=<64 hex>"',
    );
  }
  const [, secretId, date, service, signedHeaderList, signature] = m as unknown as [string, string, string, string, string, string];
  if (secretId !== input.credentials.secretId) {
    throw new ApiError('AuthFailure.SecretIdNotFound', `SecretId ${secretId} is unknown to this hub`);
  }
  if (Math.abs(input.nowSeconds - input.timestamp) > API_TIMESTAMP_SKEW_SECONDS) {
    throw new ApiError(
      'AuthFailure.SignatureExpire',
      `X-TC-Timestamp ${input.timestamp} is more than ${API_TIMESTAMP_SKEW_SECONDS} s from the hub's time ${input.nowSeconds}`,
    );
  }
  // API-012: the scope date is the UTC date of X-TC-Timestamp (fault api-scope-date-unchecked trusts the scope instead)
  const scopeDateTrusted = input.faults?.has('api-scope-date-unchecked') ?? false;
  if (!scopeDateTrusted && date !== utcDate(input.timestamp)) {
    throw new ApiError('AuthFailure.SignatureFailure', `the credential date ${date} is not the UTC date of X-TC-Timestamp (${utcDate(input.timestamp)})`);
  }
  if (service !== SERVICE) {
    throw new ApiError('AuthFailure.SignatureFailure', `the credential scope names service ${service}; this API is ${SERVICE}`);
  }
  const signed = signedHeaderList.toLowerCase().split(';');
  if (!signed.includes('content-type') || !signed.includes('host')) {
    throw new ApiError('AuthFailure.InvalidAuthorization', 'SignedHeaders must include content-type and host');
  }

  const queryAt = input.url.indexOf('?');
  const query = queryAt >= 0 ? input.url.slice(queryAt + 1) : '';
  const hashedPayload =
    header(input.headers, 'x-tc-content-sha256') === 'UNSIGNED-PAYLOAD' ? sha256hex('UNSIGNED-PAYLOAD') : sha256hex(input.body);
  const host = header(input.headers, 'host') ?? '';
  // API-011: the official SDK signs the host without the port (fault api-sign-host-with-port only tries the Host header as sent)
  const hostForms = new Set(input.faults?.has('api-sign-host-with-port') ? [host] : [host, host.replace(/:\d+$/, '')]);

  const sent = Buffer.from(signature.toLowerCase(), 'latin1');
  for (const hostForm of hostForms) {
    for (const lower of [false, true]) {
      const headers = signed.map((name) => {
        const raw = (name === 'host' ? hostForm : (header(input.headers, name) ?? '')).trim();
        return [name, lower ? raw.toLowerCase() : raw] as const;
      });
      const canonical = canonicalRequest({ method: input.method, query, headers, hashedPayload });
      const expected = Buffer.from(tc3Signature(input.credentials.secretKey, input.timestamp, service, canonical, scopeDateTrusted ? date : undefined), 'latin1');
      if (timingSafeEqual(expected, sent)) return;
    }
  }
  throw new ApiError('AuthFailure.SignatureFailure', 'the request signature does not match (TC3-HMAC-SHA256, protocol.md §9.4)');
}

// ---- signature v1 (protocol.md §9.2, §9.3)

/** The common parameters of a v1 request; everything else is an action parameter. */
export const V1_COMMON = ['Action', 'Region', 'Timestamp', 'Nonce', 'SecretId', 'Signature', 'Version', 'SignatureMethod', 'Token', 'Language', 'RequestClient'] as const;

/** Base64(HMAC(SecretKey, METHOD + host + "/?" + sorted raw name=value pairs)), HmacSHA256 only when SignatureMethod is exactly that. */
export function v1Signature(secretKey: string, method: string, host: string, params: Readonly<Record<string, string>>, faults?: { has(name: string): boolean }): string {
  const names = Object.keys(params).filter((k) => k !== 'Signature');
  names.sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
  const source = `${method}${host}/?${names.map((k) => `${k}=${params[k]}`).join('&')}`;
  const sha256 = params['SignatureMethod'] === 'HmacSHA256' && !faults?.has('api-v1-ignore-signature-method');
  return createHmac(sha256 ? 'sha256' : 'sha1', secretKey).update(source, 'utf8').digest('base64');
}

export interface VerifyV1Input {
  method: string;
  /** The Host header as received. */
  host: string;
  /** Every request parameter, raw (already URL-decoded once). */
  params: Readonly<Record<string, string>>;
  nowSeconds: number;
  credentials: { secretId: string; secretKey: string };
  faults?: { has(name: string): boolean };
}

/** Throws the Tencent error for a v1 request whose common parameters or Signature do not verify (API-017). */
export function verifyV1(input: VerifyV1Input): void {
  const p = input.params;
  for (const name of ['Action', 'Timestamp', 'Nonce', 'SecretId', 'Signature', 'Version']) {
    if (p[name] === undefined || p[name] === '') throw new ApiError('MissingParameter', `the request is missing the common parameter ${name} (signature v1)`);
  }
  if (!/^\d{1,12}$/.test(p['Timestamp']!)) throw new ApiError('InvalidParameterValue', `Timestamp must be a Unix time in seconds (got ${JSON.stringify(p['Timestamp'])})`);
  if (!/^[1-9]\d{0,19}$/.test(p['Nonce']!)) throw new ApiError('InvalidParameterValue', `Nonce must be a positive integer (got ${JSON.stringify(p['Nonce'])})`);
  if (p['SecretId'] !== input.credentials.secretId) throw new ApiError('AuthFailure.SecretIdNotFound', `SecretId ${p['SecretId']} is unknown to this hub`);
  const timestamp = Number(p['Timestamp']);
  if (Math.abs(input.nowSeconds - timestamp) > API_TIMESTAMP_SKEW_SECONDS) {
    throw new ApiError('AuthFailure.SignatureExpire', `Timestamp ${timestamp} is more than ${API_TIMESTAMP_SKEW_SECONDS} s from the hub's time ${input.nowSeconds}`);
  }
  const sent = Buffer.from(p['Signature']!, 'latin1');
  // as for TC3 (compat.md), the host is accepted with or without the port
  for (const host of new Set([input.host, input.host.replace(/:\d+$/, '')])) {
    const expected = Buffer.from(v1Signature(input.credentials.secretKey, input.method, host, p, input.faults), 'latin1');
    if (expected.length === sent.length && timingSafeEqual(expected, sent)) return;
  }
  throw new ApiError('AuthFailure.SignatureFailure', `the request signature does not match (signature v1, ${p['SignatureMethod'] === 'HmacSHA256' ? 'HmacSHA256' : 'HmacSHA1'}, protocol.md §9.3)`);
}

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
export function tc3Signature(secretKey: string, timestamp: number, service: string, canonical: string): string {
  const date = utcDate(timestamp);
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
  if (date !== utcDate(input.timestamp)) {
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
  const hostForms = new Set([host, host.replace(/:\d+$/, '')]);

  const sent = Buffer.from(signature.toLowerCase(), 'latin1');
  for (const hostForm of hostForms) {
    for (const lower of [false, true]) {
      const headers = signed.map((name) => {
        const raw = (name === 'host' ? hostForm : (header(input.headers, name) ?? '')).trim();
        return [name, lower ? raw.toLowerCase() : raw] as const;
      });
      const canonical = canonicalRequest({ method: input.method, query, headers, hashedPayload });
      const expected = Buffer.from(tc3Signature(input.credentials.secretKey, input.timestamp, service, canonical), 'latin1');
      if (timingSafeEqual(expected, sent)) return;
    }
  }
  throw new ApiError('AuthFailure.SignatureFailure', 'the request signature does not match (TC3-HMAC-SHA256, protocol.md §9.4)');
}

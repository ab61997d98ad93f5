/** A client for the iotcloud 2018-06-14 cloud API, signed with TC3-HMAC-SHA256, recording each exchange. */
import { flattenV1, signTc3, signV1 } from '../protocol/cloud-sign.js';
import type { Trace } from './trace.js';

export const API_VERSION = '2018-06-14';
const DEFAULT_TIMEOUT_MS = 30_000;

export interface CloudApiConfig {
  endpoint: string; secretId: string; secretKey: string; region: string; signedHost?: string;
  /**
   * How long one request may take (default 30 s: creating a certificate device generates an RSA key, which takes
   * seconds on a busy machine); calls that wait on a device, such as RRPC, need longer.
   */
  timeoutMs?: number;
}

/** A Tencent API error: Response.Error.Code and Message. */
export class ApiError extends Error {
  constructor(readonly action: string, readonly code: string, message: string, readonly requestId?: string) {
    super(`${action} failed: ${code}: ${message}`);
    this.name = 'ApiError';
  }
}

export interface RawCall {
  action: string;
  body: string;
  timestamp?: number;
  secretId?: string;
  secretKey?: string;
  /** Replace the Authorization header entirely. */
  authorization?: string;
  version?: string;
  /** The host as signed (default: the target's signedHost, else the endpoint's host with its port). */
  signedHost?: string;
  /** The credential scope's date and service (default: the UTC date of the timestamp, iotcloud). */
  scopeDate?: string;
  service?: string;
  /** Headers to add or replace; a header set to undefined is left out (e.g. Authorization). */
  headers?: Record<string, string | undefined>;
}

/** One signature v1 request (protocol.md §9.2, §9.3): GET with the parameters in the query, or POST as a form. */
export interface V1Call {
  method: 'GET' | 'POST';
  action: string;
  /** The action's parameters, flattened as v1 sends them (lists Name.N, objects with dots). */
  params: Record<string, unknown>;
  /** HmacSHA1 (the default, SignatureMethod left out) or HmacSHA256 (SignatureMethod=HmacSHA256). */
  algorithm?: 'HmacSHA1' | 'HmacSHA256';
  /** Sent as SignatureMethod instead of what `algorithm` implies (the signature still uses `algorithm`). */
  signatureMethod?: string;
  timestamp?: number;
  nonce?: number;
  version?: string;
  secretKey?: string;
  /** Common parameters to add, replace, or (undefined) leave out after signing, e.g. a tampered Signature. */
  override?: Record<string, string | undefined>;
  /** Parameters to add or replace after signing (tampering). */
  tamper?: Record<string, string>;
}

export interface RawAnswer { status: number; text: string; json: { Response?: Record<string, unknown> & { Error?: { Code: string; Message: string }; RequestId?: string } } | undefined }

/** Sees every answer; the suites use it to check each against the cloud API schemas. */
export type AnswerObserver = (action: string, answer: RawAnswer) => void;

export class CloudApi {
  constructor(private readonly config: CloudApiConfig, private readonly trace?: Trace, private readonly observe?: AnswerObserver) {}

  get host(): string {
    return new URL(this.config.endpoint).host;
  }

  /** Calls an action and returns Response, or throws ApiError with the hub's code. */
  async call<T = Record<string, unknown>>(action: string, params: Record<string, unknown> = {}): Promise<T & { RequestId: string }> {
    const answer = await this.raw({ action, body: JSON.stringify(params) });
    const response = answer.json?.Response;
    if (!response) throw new ApiError(action, 'NoResponse', `HTTP ${answer.status}, body is not {"Response": ...}: ${answer.text.slice(0, 200)}`);
    if (response.Error) throw new ApiError(action, response.Error.Code, response.Error.Message, response.RequestId);
    return response as T & { RequestId: string };
  }

  /**
   * Sends once; if a pooled keep-alive socket turns out to have been closed by the server before
   * the request went out ("other side closed"), sends it again on a fresh connection.
   */
  private async post(headers: Record<string, string>, body: string | undefined, method: 'GET' | 'POST' = 'POST', url = this.config.endpoint): Promise<Response> {
    try {
      return await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code !== 'UND_ERR_SOCKET') throw e;
      this.trace?.add('cloud-api', '  (the pooled connection was closed by the server; sent again)');
      return fetch(url, { method, headers: { ...headers, Connection: 'close' }, body, signal: AbortSignal.timeout(this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    }
  }

  private async answer(action: string, res: Response): Promise<RawAnswer> {
    const text = await res.text();
    this.trace?.add('cloud-api', `← HTTP ${res.status} ${text.slice(0, 240)}`);
    let json: RawAnswer['json'];
    try { json = JSON.parse(text); } catch { json = undefined; }
    const answer = { status: res.status, text, json };
    this.observe?.(action, answer);
    return answer;
  }

  /** Sends one signature v1 request exactly as described (GET query or form POST). */
  async v1(c: V1Call): Promise<RawAnswer> {
    const algorithm = c.algorithm ?? 'HmacSHA1';
    const common: Record<string, string> = {
      Action: c.action,
      Version: c.version ?? API_VERSION,
      Region: this.config.region,
      Timestamp: String(c.timestamp ?? Math.floor(Date.now() / 1000)),
      Nonce: String(c.nonce ?? 1 + Math.floor(Math.random() * 2 ** 31)),
      SecretId: this.config.secretId,
      ...(c.signatureMethod !== undefined ? { SignatureMethod: c.signatureMethod } : algorithm === 'HmacSHA256' ? { SignatureMethod: 'HmacSHA256' } : {}),
    };
    const params: Record<string, string> = { ...flattenV1(c.params), ...common };
    params['Signature'] = signV1(c.method, this.config.signedHost ?? this.host, params, c.secretKey ?? this.config.secretKey, algorithm);
    for (const [k, v] of Object.entries(c.override ?? {})) {
      if (v === undefined) delete params[k];
      else params[k] = v;
    }
    Object.assign(params, c.tamper ?? {});
    const encoded = new URLSearchParams(params).toString();
    this.trace?.add('cloud-api', `→ ${c.method} ${this.config.endpoint} (signature v1) ${encoded.slice(0, 240)}`);
    const res = c.method === 'GET'
      ? await this.post({}, undefined, 'GET', `${this.config.endpoint.replace(/\/$/, '')}/?${encoded}`)
      : await this.post({ 'Content-Type': 'application/x-www-form-urlencoded' }, encoded);
    return this.answer(c.action, res);
  }

  /** Sends one request exactly as described, for tests of the API's own checks. */
  async raw(c: RawCall): Promise<RawAnswer> {
    const timestamp = c.timestamp ?? Math.floor(Date.now() / 1000);
    const signed = signTc3({
      secretId: c.secretId ?? this.config.secretId,
      secretKey: c.secretKey ?? this.config.secretKey,
      service: c.service ?? 'iotcloud',
      host: c.signedHost ?? this.config.signedHost ?? this.host,
      timestamp,
      body: c.body,
      ...(c.scopeDate !== undefined ? { date: c.scopeDate } : {}),
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'X-TC-Action': c.action,
      'X-TC-Version': c.version ?? API_VERSION,
      'X-TC-Timestamp': String(timestamp),
      'X-TC-Region': this.config.region,
      Authorization: c.authorization ?? signed.authorization,
    };
    for (const [k, v] of Object.entries(c.headers ?? {})) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    this.trace?.add('cloud-api', `→ POST ${this.config.endpoint} ${c.action} ${c.body.slice(0, 240)}`);
    return this.answer(c.action, await this.post(headers, c.body));
  }
}

/** Awaits a cloud API call and returns its error code, or undefined when it succeeded (other errors are thrown). */
export async function apiErrorCode(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
    return undefined;
  } catch (e) {
    if (e instanceof ApiError) return e.code;
    throw e;
  }
}

/** A client for the iotcloud 2018-06-14 cloud API, signed with TC3-HMAC-SHA256, recording each exchange. */
import { signTc3 } from '../protocol/cloud-sign.js';
import type { Trace } from './trace.js';

export const API_VERSION = '2018-06-14';

export interface CloudApiConfig { endpoint: string; secretId: string; secretKey: string; region: string; signedHost?: string }

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
   * POST once; if a pooled keep-alive socket turns out to have been closed by the server before
   * the request went out ("other side closed"), send it again on a fresh connection.
   */
  private async post(headers: Record<string, string>, body: string): Promise<Response> {
    try {
      return await fetch(this.config.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code !== 'UND_ERR_SOCKET') throw e;
      this.trace?.add('cloud-api', '  (the pooled connection was closed by the server; sent again)');
      return fetch(this.config.endpoint, { method: 'POST', headers: { ...headers, Connection: 'close' }, body, signal: AbortSignal.timeout(10_000) });
    }
  }

  /** Sends one request exactly as described, for tests of the API's own checks. */
  async raw(c: RawCall): Promise<RawAnswer> {
    const timestamp = c.timestamp ?? Math.floor(Date.now() / 1000);
    const signed = signTc3({
      secretId: c.secretId ?? this.config.secretId,
      secretKey: c.secretKey ?? this.config.secretKey,
      service: 'iotcloud',
      host: this.config.signedHost ?? this.host,
      timestamp,
      body: c.body,
    });
    const headers = {
      'Content-Type': 'application/json',
      'X-TC-Action': c.action,
      'X-TC-Version': c.version ?? API_VERSION,
      'X-TC-Timestamp': String(timestamp),
      'X-TC-Region': this.config.region,
      Authorization: c.authorization ?? signed.authorization,
    };
    this.trace?.add('cloud-api', `→ POST ${this.config.endpoint} ${c.action} ${c.body.slice(0, 240)}`);
    const res = await this.post(headers, c.body);
    const text = await res.text();
    this.trace?.add('cloud-api', `← HTTP ${res.status} ${text.slice(0, 240)}`);
    let json: RawAnswer['json'];
    try { json = JSON.parse(text); } catch { json = undefined; }
    const answer = { status: res.status, text, json };
    this.observe?.(c.action, answer);
    return answer;
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

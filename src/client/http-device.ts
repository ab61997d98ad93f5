/**
 * A device on the HTTP gateway (protocol.md §8): signed POSTs to /device/publish, /device/reportlog and /device/register,
 * and the legacy C SDK's unsigned-header posts (/register/dev, /cgi-bin/report-log); each exchange traced.
 */
import { request } from 'node:http';
import { signGatewayRequest } from '../protocol/http-sign.js';
import type { Trace } from './trace.js';

export interface GatewayCall {
  path: string;
  /** The body: an object is sent as JSON, a string as is. */
  body: unknown;
  /** The secret the request is signed with (the PSK text for key devices). */
  secret: string;
  algorithm?: string;
  /** HashedCanonicalRequest hash: 'sha256' (default) or 'sha1' as the C SDK does with hmacsha1. */
  bodyHash?: 'sha256' | 'sha1';
  timestamp?: number;
  nonce?: number | string;
  /** Host put in the string to sign (default: the endpoint's host without port). */
  signedHost?: string;
  contentType?: string;
  method?: string;
  /** Replaces or removes (undefined) headers after signing, to send tampered requests. */
  headers?: Record<string, string | undefined>;
  /** Body bytes actually sent, when they differ from the signed ones (tampering). */
  sentBody?: string;
}

export interface GatewayAnswer {
  status: number;
  text: string;
  /** The parsed body: the gateway's {"Response":…}, or the legacy endpoints' {"code",…} / {"Retcode",…}. */
  json: ({ Response?: { RequestId?: string; Error?: { Code: string; Message: string } } & Record<string, unknown> } & Record<string, unknown>) | undefined;
}

export class HttpDevice {
  constructor(private readonly endpoint: string, private readonly trace?: Trace) {}

  /** Sends one signed request on a fresh connection (node:http: the Host header carries the port as a real client's does; no keep-alive socket the hub may close mid-reuse). */
  async call(c: GatewayCall): Promise<GatewayAnswer> {
    const url = new URL(c.path, this.endpoint);
    const body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
    const signed = signGatewayRequest({
      secret: c.secret,
      host: c.signedHost ?? url.hostname,
      uri: url.pathname,
      algorithm: c.algorithm ?? 'hmacsha256',
      timestamp: c.timestamp ?? Math.floor(Date.now() / 1000),
      nonce: c.nonce ?? Math.floor(Math.random() * 2 ** 31),
      body,
      ...(c.bodyHash ? { bodyHash: c.bodyHash } : {}),
    });
    const headers: Record<string, string> = { 'Content-Type': c.contentType ?? 'application/json; charset=utf-8', ...signed.headers };
    for (const [k, v] of Object.entries(c.headers ?? {})) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    return this.send(url, c.method ?? 'POST', headers, c.sentBody ?? body);
  }

  /** Posts a body with no X-TC-* headers (the legacy C SDK endpoints sign inside the body). */
  post(path: string, body: string, o: { contentType?: string; method?: string } = {}): Promise<GatewayAnswer> {
    return this.send(new URL(path, this.endpoint), o.method ?? 'POST', { 'Content-Type': o.contentType ?? 'text/plain;charset=utf-8' }, body);
  }

  private async send(url: URL, method: string, headers: Record<string, string>, sent: string): Promise<GatewayAnswer> {
    this.trace?.add('http', `→ ${method} ${url.href} ${JSON.stringify(headers)} ${JSON.stringify(sent.slice(0, 200))}`);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const hasBody = method !== 'GET';
      const req = request(url, { method, headers: hasBody ? { ...headers, 'Content-Length': String(Buffer.byteLength(sent)) } : headers, timeout: 10_000, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.href} within 10 s`)));
      req.on('error', reject);
      req.end(hasBody ? sent : undefined);
    });
    this.trace?.add('http', `← HTTP ${answer.status} ${answer.text.slice(0, 240)}`);
    let json: GatewayAnswer['json'];
    try { json = JSON.parse(answer.text); } catch { json = undefined; }
    return { ...answer, json };
  }
}

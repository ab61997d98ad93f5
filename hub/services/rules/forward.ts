// HTTP forward (protocol.md §10.5, §10.7): the JSON envelope, the WeChat-style token signature, endpoint verification and retries.

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/** A forward the endpoint did not answer 2xx is sent again this many times, this far apart (RULE-030; see hub/README.md). */
export const FORWARD_RETRIES = 3;
export const FORWARD_RETRY_INTERVAL_MS = 1000;
/** Each forward request (and the verification GET) gives up after this long. */
export const FORWARD_TIMEOUT_MS = 5000;
/** Forwards waiting or in flight at once; beyond it new ones are dropped and logged, so a dead endpoint cannot grow memory. */
export const MAX_PENDING_FORWARDS = 1000;

/** Signature = lowercase hex SHA-1 of the sorted concatenation of token, timestamp and nonce (§10.7, vector C3). */
export function forwardSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
}

function signedHeaders(token: string | undefined, nowMs: number, omit: boolean): Record<string, string> {
  if (token === undefined || token === '' || omit) return {};
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomBytes(8).toString('hex');
  return { Signature: forwardSignature(token, timestamp, nonce), Timestamp: timestamp, Nonce: nonce };
}

interface Reply { status: number; body: string }

function request(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(u, { method, headers: { 'Content-Type': 'application/json', 'User-Agent': 'hubcheck-reference-hub', ...headers }, timeout: FORWARD_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 65536) chunks.push(c); // only the verification answer is read; cap it
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${FORWARD_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** GET with Echostr (§10.7): the endpoint must answer 200 with the Echostr value. Returns why it failed, or null. */
export async function verifyEndpoint(url: string, token: string | undefined, nowMs: number): Promise<string | null> {
  const echostr = randomBytes(12).toString('hex');
  try {
    const r = await request(url, 'GET', { ...signedHeaders(token, nowMs, false), Echostr: echostr });
    if (r.status !== 200) return `${url} answered the verification GET with HTTP ${r.status}, not 200`;
    if (r.body !== echostr) return `${url} answered the verification GET without the Echostr value as the body`;
    return null;
  } catch (err) {
    return `${url} did not answer the verification GET: ${(err as Error).message}`;
  }
}

/** Sends envelopes with retries; close() cancels pending retries. */
export class Forwarder {
  private pending = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly nowMs: () => number, private readonly log: (line: string) => void, private readonly omitToken: () => boolean) {}

  send(url: string, token: string | undefined, envelope: unknown): void {
    if (this.closed) return;
    if (this.pending >= MAX_PENDING_FORWARDS) {
      this.log(`rules: forward to ${url} dropped: ${MAX_PENDING_FORWARDS} forwards already pending`);
      return;
    }
    this.pending++;
    const body = JSON.stringify(envelope);
    const attempt = (n: number): void => {
      request(url, 'POST', signedHeaders(token, this.nowMs(), this.omitToken()), body)
        .then((r) => (r.status >= 200 && r.status < 300 ? null : `HTTP ${r.status}`), (err: Error) => err.message)
        .then((failure) => {
          if (failure === null || this.closed || n >= FORWARD_RETRIES) {
            if (failure !== null) this.log(`rules: forward to ${url} failed after ${n + 1} attempts: ${failure}`);
            this.pending--;
            return;
          }
          const t = setTimeout(() => {
            this.timers.delete(t);
            attempt(n + 1);
          }, FORWARD_RETRY_INTERVAL_MS);
          this.timers.add(t);
        });
    };
    attempt(0);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

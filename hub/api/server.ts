// The cloud API over HTTP: POST / with a JSON body, TC3-signed, or GET / form POST with signature v1; every answer is {"Response": {...}} with HTTP 200.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { API_MAX_BODY_BYTES } from '../limits.js';
import type { HttpRoute } from '../services/types.js';
import type { Action, ActionContext } from './context.js';
import { dispatch } from './dispatch.js';
import { ApiError, missing } from './errors.js';
import { formRequest, unflatten, type Params } from './params.js';
import { V1_COMMON, verifyTc3, verifyV1 } from './sign.js';

export const API_VERSION = '2018-06-14';
/** Past this many bytes an oversize body is no longer drained but the connection is closed. */
const DISCARD_LIMIT_BYTES = 16 * API_MAX_BODY_BYTES;

export interface ApiServerDeps {
  ctx: ActionContext;
  credentials: { secretId: string; secretKey: string };
  /** Every action served: the core ones and those device services add. */
  actions: Readonly<Record<string, Action>>;
  /** Device-side HTTP routes (gateway, firmware downloads...): exact paths, or prefixes ending in '/'. */
  routes?: Readonly<Record<string, HttpRoute>>;
}

function findRoute(routes: Readonly<Record<string, HttpRoute>>, path: string): HttpRoute | undefined {
  if (Object.hasOwn(routes, path)) return routes[path];
  const prefix = Object.keys(routes).filter((k) => k.endsWith('/') && path.startsWith(k)).sort((a, b) => b.length - a.length)[0];
  return prefix ? routes[prefix] : undefined;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}

function errorBody(err: ApiError, requestId: string) {
  return { Response: { Error: { Code: err.code, Message: err.message }, RequestId: requestId } };
}

/** Name/value pairs of a query string or form body, URL-decoded once; a name given twice is refused. */
function formPairs(text: string): Record<string, string> {
  const pairs: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(text)) {
    if (Object.hasOwn(pairs, k)) throw new ApiError('InvalidParameter', `the parameter ${k} is given twice`);
    pairs[k] = v;
  }
  return pairs;
}

/** The action named by a request, for logs: the X-TC-Action header (TC3) or the Action parameter (v1). */
function actionOf(req: IncomingMessage): string {
  const fromHeader = header(req, 'x-tc-action');
  if (fromHeader) return fromHeader;
  const q = (req.url ?? '').indexOf('?');
  return (q >= 0 ? new URLSearchParams((req.url ?? '').slice(q + 1)).get('Action') : null) ?? '?';
}

/**
 * API-017: signature v1 (protocol.md §9.2, §9.3): GET with the parameters in the query, or POST with a form body;
 * common parameters (Action, Version, Timestamp, Nonce, SecretId, Signature...) travel with the action's own.
 */
function handleV1(deps: ApiServerDeps, req: IncomingMessage, text: string): Promise<Record<string, unknown>> {
  const method = req.method ?? 'GET';
  const pairs = formPairs(text);
  if (pairs['Signature'] === undefined) {
    // TC3 over GET or a form is not served here: without v1's Signature the request is of a protocol this hub lacks
    throw new ApiError(
      'UnsupportedProtocol',
      `a ${method === 'GET' ? 'GET' : 'form POST'} request must be signed with signature v1 (SecretId, Timestamp, Nonce, Signature parameters); TC3-HMAC-SHA256 is served over POST application/json`,
    );
  }
  verifyV1({ method, host: header(req, 'host') ?? '', params: pairs, nowSeconds: deps.ctx.nowSeconds(), credentials: deps.credentials, faults: deps.ctx.hub.faults });
  if (pairs['Version'] !== API_VERSION && !deps.ctx.hub.faults.has('api-accept-any-version')) {
    throw new ApiError('NoSuchVersion', `Version ${pairs['Version']} is not served; this hub speaks iotcloud ${API_VERSION}`);
  }
  const own = Object.fromEntries(Object.entries(pairs).filter(([k]) => !(V1_COMMON as readonly string[]).includes(k)));
  const params = unflatten(own);
  return formRequest.run(true, () => dispatch(deps.actions, deps.ctx, pairs['Action']!, params));
}

/** Checks headers and signature, parses the body and runs the action; throws ApiError on any refusal. */
function handle(deps: ApiServerDeps, req: IncomingMessage, body: Buffer): Promise<Record<string, unknown>> {
  const contentType = header(req, 'content-type') ?? '';
  if (req.method === 'GET') {
    const q = (req.url ?? '').indexOf('?');
    return handleV1(deps, req, q >= 0 ? (req.url ?? '').slice(q + 1) : '');
  }
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) return handleV1(deps, req, body.toString('utf8'));
  const action = header(req, 'x-tc-action');
  if (!action) throw missing('X-TC-Action (header)');
  const ts = header(req, 'x-tc-timestamp');
  if (!ts) throw missing('X-TC-Timestamp (header)');
  if (!/^\d{1,12}$/.test(ts)) {
    throw new ApiError('InvalidParameterValue', `X-TC-Timestamp must be a Unix time in seconds (got ${JSON.stringify(ts)})`);
  }
  const version = header(req, 'x-tc-version');
  if (!version) throw missing('X-TC-Version (header)');
  verifyTc3({
    method: req.method ?? 'POST',
    url: req.url ?? '/',
    headers: req.headers,
    body,
    timestamp: Number(ts),
    nowSeconds: deps.ctx.nowSeconds(),
    credentials: deps.credentials,
    faults: deps.ctx.hub.faults,
  });
  // API-015: one version only (fault api-accept-any-version serves any)
  if (version !== API_VERSION && !deps.ctx.hub.faults.has('api-accept-any-version')) {
    throw new ApiError('NoSuchVersion', `X-TC-Version ${version} is not served; this hub speaks iotcloud ${API_VERSION}`);
  }
  if (!/^application\/json\b/i.test(contentType)) {
    throw new ApiError('InvalidRequest', `Content-Type must be application/json (got ${JSON.stringify(contentType)})`);
  }
  let params: unknown;
  const text = body.toString('utf8');
  try {
    params = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new ApiError('InvalidRequest', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ApiError('InvalidRequest', 'the request body must be a JSON object of the action parameters');
  }
  return dispatch(deps.actions, deps.ctx, action, params as Params);
}

export function createApiServer(deps: ApiServerDeps): Server {
  const { log } = deps.ctx;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = path === '/' ? undefined : findRoute(deps.routes ?? {}, path);
    if (route) {
      // a route (the device gateway, firmware) answers with its own envelope and request id
      try {
        return route(req, res, deps.ctx.hub);
      } catch (err) {
        log(`http: ${path}: internal error: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('internal error\n');
      }
    }
    const requestId = randomUUID();
    const fail = (err: ApiError, status = 200, close = false) => send(res, status, errorBody(err, requestId), close);
    if (path !== '/') {
      req.resume();
      return fail(new ApiError('InvalidRequest', `the cloud API is served at POST / (got ${req.method} ${path})`), 404);
    }
    if (req.method !== 'POST' && req.method !== 'GET') {
      req.resume();
      return fail(new ApiError('UnsupportedProtocol', `only POST (JSON with TC3, or a form with signature v1) and GET (signature v1) are served (got ${req.method})`));
    }
    const declared = Number(header(req, 'content-length') ?? 0);
    if (declared > API_MAX_BODY_BYTES) {
      return fail(new ApiError('RequestSizeLimitExceeded', `the request body is over ${API_MAX_BODY_BYTES} bytes`), 200, true);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= API_MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DISCARD_LIMIT_BYTES) req.destroy();
    });
    req.on('error', () => req.destroy());
    req.on('end', async () => {
      if (size > API_MAX_BODY_BYTES) {
        return fail(new ApiError('RequestSizeLimitExceeded', `the request body is over ${API_MAX_BODY_BYTES} bytes`), 200, true);
      }
      try {
        const result = await handle(deps, req, Buffer.concat(chunks));
        send(res, 200, { Response: { ...result, RequestId: requestId } });
      } catch (err) {
        if (err instanceof ApiError) {
          log(`api: ${actionOf(req)} -> ${err.code}: ${err.message}`);
          // API-014: errors travel in the body with HTTP 200 (fault api-errors-http-400 answers 400)
          return fail(err, deps.ctx.hub.faults.has('api-errors-http-400') ? 400 : 200);
        }
        log(`api: internal error: ${(err as Error).stack ?? String(err)}`);
        fail(new ApiError('InternalError', 'internal error in the reference hub'));
      }
    });
  });
  server.on('clientError', (_err: Error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  // Keep idle connections longer than clients do (Node's default is 5 s): a client that reuses a
  // pooled socket the server has just closed gets "other side closed" on an innocent request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

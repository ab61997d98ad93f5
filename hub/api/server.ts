// The cloud API over HTTP: POST / with a JSON body, TC3-signed; every answer is {"Response": {...}} with HTTP 200.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { API_MAX_BODY_BYTES } from '../limits.js';
import type { HttpRoute } from '../services/types.js';
import type { Action, ActionContext } from './context.js';
import { dispatch } from './dispatch.js';
import { ApiError, missing } from './errors.js';
import type { Params } from './params.js';
import { verifyTc3 } from './sign.js';

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

/** Checks headers and signature, parses the body and runs the action; throws ApiError on any refusal. */
function handle(deps: ApiServerDeps, req: IncomingMessage, body: Buffer): Promise<Record<string, unknown>> {
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
  });
  if (version !== API_VERSION) {
    throw new ApiError('NoSuchVersion', `X-TC-Version ${version} is not served; this hub speaks iotcloud ${API_VERSION}`);
  }
  const contentType = header(req, 'content-type') ?? '';
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
    const requestId = randomUUID();
    const fail = (err: ApiError, status = 200, close = false) => send(res, status, errorBody(err, requestId), close);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = path === '/' ? undefined : findRoute(deps.routes ?? {}, path);
    if (route) {
      try {
        return route(req, res, deps.ctx.hub);
      } catch (err) {
        log(`http: ${path}: internal error: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        return res.end('internal error\n');
      }
    }
    if (path !== '/') {
      req.resume();
      return fail(new ApiError('InvalidRequest', `the cloud API is served at POST / (got ${req.method} ${path})`), 404);
    }
    if (req.method !== 'POST') {
      req.resume();
      return fail(new ApiError('UnsupportedProtocol', `only POST with a JSON body is served (got ${req.method})`));
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
          log(`api: ${header(req, 'x-tc-action') ?? '?'} -> ${err.code}: ${err.message}`);
          return fail(err);
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

// The firmware download server on the API port: GET/HEAD /firmware/${productId}/${version}, Range for resumes, always Content-Length.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../../broker.js';
import type { ServiceContext } from '../types.js';
import type { OtaEngine } from './engine.js';
import { parseRange } from './range.js';

function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body: Buffer | string, head: boolean): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  // compat.md: the C SDK needs Content-Length and times out on chunked replies
  res.writeHead(status, { ...headers, 'Content-Length': buf.length });
  res.end(head ? undefined : buf);
}

export function firmwareRoute(engineOf: (ctx: ServiceContext) => OtaEngine | undefined) {
  return (req: IncomingMessage, res: ServerResponse, ctx: ServiceContext): void => {
    const head = req.method === 'HEAD';
    const text = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (req.method !== 'GET' && !head) return send(res, 405, { ...text, Allow: 'GET, HEAD' }, 'only GET and HEAD are served here\n', false);
    const engine = engineOf(ctx);
    const parts = (req.url ?? '').split('?')[0]!.split('/'); // ['', 'firmware', pid, version]
    if (!engine || parts.length !== 4) return send(res, 404, text, 'expected /firmware/${productId}/${version}\n', head);
    let productId: string;
    let version: string;
    try {
      productId = decodeURIComponent(parts[2]!);
      version = decodeURIComponent(parts[3]!);
    } catch {
      return send(res, 400, text, 'malformed percent-encoding in the path\n', head);
    }
    const f = engine.store.firmware(productId, version);
    if (!f || !f.content) return send(res, 404, text, `no firmware ${version} of product ${productId} has been uploaded\n`, head);
    const size = f.content.length;
    const base = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes', ETag: `"${f.md5}"` };
    const range = ctx.faults.has('ota-ignore-range') ? undefined : req.headers.range;
    const asked = parseRange(range, size); // OTA-011
    // the fault: END is ignored, so the answer runs to the end of the file
    const d = asked.kind === 'partial' && ctx.faults.has('ota-range-to-end') ? { ...asked, end: size - 1 } : asked;
    if (d.kind === 'unsatisfiable') return send(res, 416, { ...text, 'Content-Range': `bytes */${size}` }, `range not satisfiable: the file has ${size} bytes\n`, head);
    if (d.kind === 'full') return send(res, 200, base, f.content, head); // OTA-010
    return send(res, 206, { ...base, 'Content-Range': `bytes ${d.start}-${d.end}/${size}` }, f.content.subarray(d.start, d.end + 1), head);
  };
}

/**
 * Serves only the firmware route on its own listener (HubOptions.firmwarePort), e.g. port 80 so that URLs need no port
 * (OTA-012); closed with the broker. Resolves with its base URL (without the port when it is 80).
 */
export async function serveFirmware(ctx: ServiceContext, at: { host: string; port: number }, route: ReturnType<typeof firmwareRoute>): Promise<string> {
  const server = createServer((req, res) => {
    if ((req.url ?? '').startsWith('/firmware/')) return route(req, res, ctx);
    req.resume();
    send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'only firmware downloads are served here: /firmware/${productId}/${version}\n', req.method === 'HEAD');
  });
  let port: number;
  try {
    port = await listen(server, at.port, at.host, 'firmware downloads');
  } catch (e) {
    const privileged = at.port < 1024 && /EACCES/.test((e as Error).message);
    throw new Error(`${(e as Error).message}${privileged ? ` (ports below 1024 need root or CAP_NET_BIND_SERVICE; or serve firmware elsewhere and name it with the firmware base URL)` : ''}`);
  }
  ctx.broker.once('closed', () => {
    server.closeAllConnections();
    server.close();
  });
  const host = at.host.includes(':') ? `[${at.host}]` : at.host;
  return `http://${host}:${port}`;
}

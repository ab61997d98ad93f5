// The firmware download server on the API port: GET/HEAD /firmware/${productId}/${version}, Range for resumes, always Content-Length.

import type { IncomingMessage, ServerResponse } from 'node:http';
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
    const d = parseRange(range, size); // OTA-011
    if (d.kind === 'unsatisfiable') return send(res, 416, { ...text, 'Content-Range': `bytes */${size}` }, `range not satisfiable: the file has ${size} bytes\n`, head);
    if (d.kind === 'full') return send(res, 200, base, f.content, head); // OTA-010
    return send(res, 206, { ...base, 'Content-Range': `bytes ${d.start}-${d.end}/${size}` }, f.content.subarray(d.start, d.end + 1), head);
  };
}

// Reads a device HTTP request's body up to a limit, without buffering what lies beyond it.

import type { IncomingMessage } from 'node:http';

/**
 * Resolves the body, or rejects with `tooLarge()` once the request has ended over `limit` bytes; a sender that goes
 * on far past the limit (16 ×) is cut off, so a hostile upload costs the hub at most `limit` bytes of memory.
 */
export function readBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > 16 * limit) req.destroy();
    });
    req.on('error', reject);
    req.on('end', () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
  });
}

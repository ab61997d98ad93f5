/** An HTTP endpoint on 127.0.0.1 that a rule forwards to: answers the Echostr check, records POSTs, can fail on purpose. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Trace } from '../../src/client/trace.js';

export interface SinkRequest { method: string; url: string; headers: IncomingHttpHeaders; body: string; json: unknown }

export class ForwardSink {
  readonly requests: SinkRequest[] = [];
  /** 'echo' answers the verification GET properly; 'wrong' answers 200 with another body. */
  verify: 'echo' | 'wrong' = 'echo';
  /** Answer this many POSTs with HTTP 500 before answering 200. */
  failPosts = 0;
  private waiters: (() => void)[] = [];
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(trace?: Trace): Promise<ForwardSink> {
    let sink: ForwardSink;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => { size += c.length; if (size < 1 << 20) chunks.push(c); });
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = JSON.parse(body); } catch { json = undefined; }
        sink.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json });
        trace?.add('http', `sink got ${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body.slice(0, 500)}`);
        if (req.method === 'GET') {
          const echo = String(req.headers.echostr ?? '');
          res.writeHead(200, { 'content-type': 'text/plain' }).end(sink.verify === 'echo' ? echo : `not-${echo}`);
        } else if (sink.failPosts > 0) {
          sink.failPosts--;
          res.writeHead(500).end('failing on purpose');
        } else {
          res.writeHead(200).end('ok');
        }
        for (const w of sink.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    sink = new ForwardSink(server, `http://127.0.0.1:${port}/`);
    return sink;
  }

  posts(): SinkRequest[] {
    return this.requests.filter((r) => r.method === 'POST');
  }

  /** Waits until some request satisfies `pred`; returns it or undefined after timeoutMs. */
  async waitFor(pred: (r: SinkRequest) => boolean, timeoutMs: number): Promise<SinkRequest | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.requests.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

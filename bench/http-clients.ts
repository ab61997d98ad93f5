// Child side of the HTTP gateway benchmark: autocannon at full speed against one server, rotating over pre-built requests
// (signed by the parent: the client's own HMAC work stays out of this process), requests per second printed as JSON.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface HttpJob { url: string; connections: number; seconds: number; requests: { path: string; body: string; headers: Record<string, string> }[] }

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as HttpJob;
let n = 0;
let bad = 0;
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.seconds,
  requests: [{
    method: 'POST',
    setupRequest: (req) => {
      const r = job.requests[n++ % job.requests.length]!;
      return { ...req, path: r.path, body: r.body, headers: r.headers };
    },
    onResponse: (status: number, body: string) => { if (status !== 200 || body.includes('"Error"')) bad++; },
  }],
});
if (bad > 0) process.stderr.write(`${bad} requests failed\n`);
process.stdout.write(JSON.stringify({ result: result.requests.average, extra: { failed: bad, non2xx: result.non2xx, p99ms: result.latency.p99 } }) + '\n');
process.exit(0);

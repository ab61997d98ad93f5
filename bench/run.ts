// Runs every benchmark in turn (`npm run bench`); each compares against a baseline measured in the same run.
const benches = ['./connect-rtt.ts', './rules-overhead.ts', './tls-handshake.ts', './load-engine.ts', './durable-sessions.ts'];
for (const b of benches) await import(b);

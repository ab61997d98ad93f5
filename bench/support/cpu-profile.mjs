// Loaded with NODE_OPTIONS="--import <this file>" (node refuses --cpu-prof there): records a CPU profile of this
// process for HUBCHECK_PROFILE_MS (default 30 s) from its start and writes it to HUBCHECK_PROFILE_DIR as
// <pid>.cpuprofile, for Chrome DevTools or bench/support/profile-top.mjs. Bounded in time; the timer never holds the
// process open.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.HUBCHECK_PROFILE_DIR;
if (dir) {
  const ms = Number(process.env.HUBCHECK_PROFILE_MS ?? 30_000);
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.start'));
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  setTimeout(write, ms).unref();
  process.once('exit', write);
}

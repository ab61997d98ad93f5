/** CPU and memory of processes from /proc (Linux): the generator's own processes and, when it is a separate process, the hub's. */
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds (user+system) and RSS bytes of a process, or undefined when it is gone. */
export function sample(pid: number): { cpuS: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S; // utime, stime (fields 14, 15 of the whole line)
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuS, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
  } catch {
    return undefined;
  }
}

/** Tracks CPU % (of one core) between calls for a changing set of pids. */
export class ResourceMeter {
  private last = new Map<number, { cpuS: number; at: number }>();

  /** CPU % and RSS summed over the pids. */
  read(pids: readonly number[]): { cpuPct: number; rssMiB: number } {
    let cpuPct = 0;
    let rss = 0;
    const now = performance.now();
    for (const pid of pids) {
      const s = sample(pid);
      if (!s) continue;
      rss += s.rssBytes;
      const prev = this.last.get(pid);
      if (prev && now > prev.at) cpuPct += ((s.cpuS - prev.cpuS) / ((now - prev.at) / 1000)) * 100;
      this.last.set(pid, { cpuS: s.cpuS, at: now });
    }
    return { cpuPct: Math.round(cpuPct * 10) / 10, rssMiB: Math.round((rss / 2 ** 20) * 10) / 10 };
  }
}

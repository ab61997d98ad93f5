/** Progress of a long run a person can follow: work done of the total, live sessions, connect rate, ETA and errors; one updating line on a terminal, periodic lines otherwise. */

export interface ProgressPoint {
  /** Seconds since t=0. */
  t: number;
  /** Planned seconds (the time limit of a cycle run). */
  planned: number;
  /** Units of work done and in all (cycle: visits ended of identities × cycles), when the run counts work. */
  done?: number;
  total?: number;
  sessions: number;
  pending: number;
  /** CONNACKs accepted so far. */
  connects: number;
  errors: number;
  lost: number;
}

/** Seconds over which the connect rate and the ETA are averaged. */
const WINDOW_S = 10;

function clock(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return `${h ? `${h}:${String(m).padStart(2, '0')}` : String(m)}:${String(sec).padStart(2, '0')}`;
}

/** Formats progress lines from successive points; keeps a short window of history for rates. */
export class ProgressLine {
  private readonly history: ProgressPoint[] = [];

  format(p: ProgressPoint): string {
    this.history.push(p);
    while (this.history.length > 2 && p.t - this.history[1]!.t >= WINDOW_S) this.history.shift();
    const first = this.history[0]!;
    const dt = p.t - first.t;
    const rate = dt > 0 ? (p.connects - first.connects) / dt : 0;
    let work: string;
    let eta: number;
    if (p.total !== undefined && p.done !== undefined) {
      const pct = p.total ? (100 * p.done) / p.total : 100;
      work = `${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} (${pct.toFixed(1)} %)`;
      const doneRate = dt > 0 ? (p.done - (first.done ?? 0)) / dt : 0;
      eta = doneRate > 0 ? (p.total - p.done) / doneRate : NaN;
    } else {
      work = `${clock(p.t)}/${clock(p.planned)}`;
      eta = p.planned - p.t;
    }
    return `${clock(p.t)} ${work}  live ${p.sessions.toLocaleString('en-US')} (+${p.pending} connecting)  ${rate.toFixed(0)} connects/s  ETA ${clock(eta)}  errors ${p.errors}  lost ${p.lost}`;
  }
}

/** Writes progress to a stream: on a TTY one line rewritten each point; otherwise a line every `everyS` seconds. */
export function progressWriter(stream: { write(s: string): unknown; isTTY?: boolean }, everyS = 5): { point(p: ProgressPoint): void; end(): void } {
  const line = new ProgressLine();
  const tty = stream.isTTY === true;
  let lastT = -Infinity;
  let wrote = false;
  return {
    point(p) {
      const text = line.format(p);
      if (tty) { stream.write(`\r\x1b[2K${text}`); wrote = true; return; }
      if (p.t - lastT >= everyS) { lastT = p.t; stream.write(`${text}\n`); }
    },
    end() {
      if (tty && wrote) stream.write('\n');
    },
  };
}

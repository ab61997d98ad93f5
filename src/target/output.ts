/** The latest lines a started hub wrote, kept for readiness checks and as evidence when it fails or dies. */

/** Enough to show why a hub died, small enough to put in every report. */
export const KEPT_LINES = 200;

export class OutputLines {
  private readonly lines: string[] = [];
  private partial = new Map<string, string>();
  private readonly watchers: ((line: string) => void)[] = [];
  dropped = 0;

  constructor(private readonly max = KEPT_LINES) {}

  /** Feeds a chunk of a stream; complete lines are kept (prefixed with the stream name when not stdout). */
  feed(chunk: Buffer | string, stream = 'stdout'): void {
    const text = (this.partial.get(stream) ?? '') + chunk.toString();
    const parts = text.split(/\r?\n/);
    this.partial.set(stream, parts.pop() ?? '');
    for (const line of parts) this.push(stream === 'stdout' ? line : `[${stream}] ${line}`);
  }

  /** Adds one complete line. */
  push(line: string): void {
    if (this.lines.length >= this.max) { this.lines.shift(); this.dropped++; }
    this.lines.push(line);
    for (const w of this.watchers) w(line);
  }

  /** Calls `watcher` for every line from now on. */
  watch(watcher: (line: string) => void): void {
    this.watchers.push(watcher);
  }

  /** The kept lines plus any unterminated last line of each stream. */
  tail(n = this.max): string[] {
    const rest = [...this.partial].filter(([, v]) => v).map(([s, v]) => (s === 'stdout' ? v : `[${s}] ${v}`));
    return [...this.lines, ...rest].slice(-n);
  }
}

// Parses an HTTP Range header for one file: the C SDK's "bytes=OFF-SIZE" (end one past the file) is clamped, not refused.

export type RangeDecision =
  | { kind: 'full' } // no Range, or one we ignore (RFC 7233 §3.1 allows ignoring): 200 with the whole file
  | { kind: 'partial'; start: number; end: number } // 206, inclusive byte positions
  | { kind: 'unsatisfiable' }; // 416 with Content-Range: bytes */size

/** Decides how to answer `range` for a file of `size` bytes (RFC 7233 §2.1; end positions past the file are clamped). */
export function parseRange(range: string | undefined, size: number): RangeDecision {
  if (range === undefined) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (!m) return { kind: 'full' }; // several ranges or another unit: ignored, the whole file is sent
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    // suffix range: the last N bytes
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start)) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1); // OTA-011: clamp the C SDK's bytes=OFF-SIZE
  if (last !== '' && Number(last) < start) return { kind: 'full' }; // syntactically invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

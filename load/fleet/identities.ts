/**
 * A compact table of device identities: the CSV rows themselves in one buffer with their offsets, parsed one identity at a
 * time when it visits. A million DeviceCred objects would cost a few hundred MiB per process; this costs the file's bytes.
 */
import { createReadStream } from 'node:fs';
import { FIXTURES_HEADER, type DeviceCred } from './credentials.js';

export interface IdentityTable {
  /** productId,deviceName,psk rows, each ended by '\n'. */
  bytes: Buffer;
  /** Start of row i at starts[i]; starts[count] is the end. */
  starts: Uint32Array;
  count: number;
}

/** The identities of a list (small fleets, devices created through the API). */
export function tableOf(devices: readonly DeviceCred[]): IdentityTable {
  const bytes = Buffer.from(devices.map((d) => `${d.productId},${d.deviceName},${d.psk}\n`).join(''), 'latin1');
  return indexRows(bytes, devices.length);
}

function indexRows(bytes: Buffer, count: number): IdentityTable {
  const starts = new Uint32Array(count + 1);
  let n = 0;
  let at = 0;
  while (n < count) {
    starts[n++] = at;
    const nl = bytes.indexOf(10, at);
    at = nl < 0 ? bytes.length : nl + 1;
  }
  starts[count] = at;
  return { bytes, starts, count };
}

/** Identity i of the table. */
export function identityAt(t: IdentityTable, i: number): DeviceCred {
  const line = t.bytes.toString('latin1', t.starts[i]!, t.starts[i + 1]! - 1);
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  return { productId: line.slice(0, a), deviceName: line.slice(a + 1, b), psk: line.slice(b + 1) };
}

/** Rows [start, end) of a fixtures file as a table, streamed: only the rows kept are held. A missing row is an error naming the file. */
export async function readIdentityTable(file: string, start: number, end: number): Promise<IdentityTable> {
  const want = end - start;
  const chunks: Buffer[] = [];
  let row = -1; // -1: the header line
  let carry: Buffer | null = null;
  let kept = 0;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const raw of input as AsyncIterable<Buffer>) {
      const buf: Buffer = carry ? Buffer.concat([carry, raw]) : raw;
      let at = 0;
      let keepFrom = -1;
      for (;;) {
        const nl = buf.indexOf(10, at);
        if (nl < 0) break;
        if (row === -1) {
          if (buf.toString('latin1', 0, nl).trim() !== FIXTURES_HEADER) throw new Error(`--fixtures ${file}: line 1 must be the header "${FIXTURES_HEADER}"`);
        } else if (nl > at) {
          if (row === start) keepFrom = at;
          if (row >= start && row < end) kept++;
        }
        if (row === -1 || nl > at) row++;
        at = nl + 1;
        if (row >= end) break;
      }
      if (row >= start && keepFrom < 0 && kept > 0) keepFrom = 0; // the whole chunk up to `at` continues the kept rows
      if (keepFrom >= 0) chunks.push(Buffer.from(buf.subarray(keepFrom, at)));
      carry = at < buf.length && row < end ? Buffer.from(buf.subarray(at)) : null;
      if (row >= end) break;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code ? new Error(`--fixtures ${file}: cannot read (${code})`) : e;
  } finally {
    input.destroy();
  }
  if (carry && carry.length && row >= start && row < end) { chunks.push(Buffer.concat([carry, Buffer.from('\n')])); kept++; } // a last row without '\n'
  if (kept < want) throw new Error(`--fixtures ${file}: has ${Math.max(0, kept)} devices from row ${start}, ${want} are needed`);
  return indexRows(Buffer.concat(chunks), want);
}

/** Rows of a fixtures file (not counting the header), without holding them. */
export async function countFixtureRows(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  try {
    for await (const raw of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = raw.indexOf(10); i >= 0; i = raw.indexOf(10, i + 1)) lines++;
      last = raw[raw.length - 1]!;
    }
  } catch (e) {
    throw new Error(`--fixtures ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (last !== 10) lines++;
  return Math.max(0, lines - 1);
}

/** The `k6/encoding` module: base64 with k6's encodings (std, rawstd, url, rawurl) and output formats. */
type Enc = 'std' | 'rawstd' | 'url' | 'rawurl';

function bytesOf(input: string | ArrayBuffer): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(new Uint8Array(input));
}

export function b64encode(input: string | ArrayBuffer, encoding: Enc = 'std'): string {
  const s = bytesOf(input).toString(encoding.includes('url') ? 'base64url' : 'base64');
  if (encoding === 'url') return s.padEnd(Math.ceil(s.length / 4) * 4, '=');
  return encoding === 'rawstd' ? s.replace(/=+$/, '') : s;
}

/** An ArrayBuffer by default; a string with format 's'. */
export function b64decode(input: string, encoding: Enc = 'std', format?: 's'): ArrayBuffer | string {
  const buf = Buffer.from(input, encoding.includes('url') ? 'base64url' : 'base64');
  if (format === 's') return buf.toString('utf8');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export default { b64encode, b64decode };

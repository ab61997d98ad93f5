/** The `k6/crypto` module: hashes and HMAC with k6's output encodings (hex, base64, base64url, base64rawurl, binary). */
import { createHash, createHmac, randomBytes as nodeRandomBytes } from 'node:crypto';

type Out = 'hex' | 'base64' | 'base64url' | 'base64rawurl' | 'binary';
type Data = string | ArrayBuffer;

const ALGS: Record<string, string> = { md4: 'md4', md5: 'md5', sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512', sha512_224: 'sha512-224', sha512_256: 'sha512-256', ripemd160: 'ripemd160' };

function alg(a: string): string {
  const x = ALGS[a];
  if (!x) throw new Error(`k6/crypto: unknown algorithm '${a}'; use one of ${Object.keys(ALGS).join(', ')}`);
  return x;
}
const buf = (d: Data) => (typeof d === 'string' ? Buffer.from(d, 'utf8') : Buffer.from(new Uint8Array(d)));

function out(b: Buffer, enc: Out): string | ArrayBuffer {
  switch (enc) {
    case 'hex': return b.toString('hex');
    case 'base64': return b.toString('base64');
    case 'base64url': { const s = b.toString('base64url'); return s.padEnd(Math.ceil(s.length / 4) * 4, '='); }
    case 'base64rawurl': return b.toString('base64url');
    case 'binary': return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    default: throw new Error(`k6/crypto: unknown output encoding '${String(enc)}'; use hex, base64, base64url, base64rawurl or binary`);
  }
}

export function hmac(algorithm: string, secret: Data, data: Data, outputEncoding: Out): string | ArrayBuffer {
  return out(createHmac(alg(algorithm), buf(secret)).update(buf(data)).digest(), outputEncoding);
}
const hashWith = (a: string) => (input: Data, outputEncoding: Out) => out(createHash(alg(a)).update(buf(input)).digest(), outputEncoding);
export const md5 = hashWith('md5');
export const sha1 = hashWith('sha1');
export const sha256 = hashWith('sha256');
export const sha384 = hashWith('sha384');
export const sha512 = hashWith('sha512');
export function randomBytes(n: number): ArrayBuffer { const b = nodeRandomBytes(n); return b.buffer.slice(b.byteOffset, b.byteOffset + n) as ArrayBuffer; }

export default { hmac, md5, sha1, sha256, sha384, sha512, randomBytes };

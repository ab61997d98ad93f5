// The legacy log upload of the C SDK (≤ 3.2.x) and the Java SDK: POST /cgi-bin/report-log, a text body with a signed
// 112-byte header, answered with a JSON Retcode (protocol.md §6.3; C SDK log_upload.c, Java TXMqttLogImpl).

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Device } from '../../registry/index.js';
import { authorityOf } from '../../tls/authority.js';
import { sendJson } from '../http-gateway/request.js';
import { readBody } from '../body.js';
import type { ServiceContext } from '../types.js';
import { store } from './index.js';

/** Header fields: signature 40, control 4 ('P' key / 'C' certificate + "###"), product id 10, device name 48, timestamp 10. */
const H = { signature: 40, control: 4, productId: 10, deviceName: 48, timestamp: 10, total: 112 } as const;
/** The C SDK posts at most MAX_HTTP_LOG_POST_SIZE (3000) bytes at a time; the Java SDK its whole queue: 1 MiB here. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The signing key is the first 24 characters of the PSK text (or of the certificate's first Base64 line): SIGN_KEY_SIZE. */
const SIGN_KEY_CHARS = 24;
/** Entries are separated by "\n\f" (the C SDK replaces each entry's "\r\n"). */
const DELIMITER = '\n\f';
const TAGS: Readonly<Record<string, string>> = { DBG: 'DEBUG', INF: 'INFO', WRN: 'WARN', ERR: 'ERROR' };

class Refusal extends Error {
  constructor(message: string, readonly status = 200) {
    super(message);
  }
}

/** A field of the header without its padding: both SDKs pad with '#'; NUL padding is accepted too. */
const unpad = (b: Buffer, faults: ServiceContext['faults']): string => b.toString('latin1').replace(faults.has('legacy-log-nul-padding') ? /\0+$/ : /[#\0]+$/, '');

/** The key the device signs with: 'P' its PSK text, 'C' the first Base64 line of its certificate (LOG-012; the C SDK reads the PEM file). */
function signingKey(ctx: ServiceContext, device: Device, control: string): string {
  if (control === 'P') {
    if (!device.psk) throw new Refusal(`device ${device.productId}/${device.deviceName} has no PSK (a certificate device signs with 'C')`);
    return device.psk.slice(0, SIGN_KEY_CHARS);
  }
  const pem = authorityOf(ctx.registry)?.registeredCert(device.productId, device.deviceName);
  if (!pem) throw new Refusal(`device ${device.productId}/${device.deviceName} has no certificate issued by this hub (a key device signs with 'P')`);
  const firstLine = pem.split(/\r?\n/).find((l, i, all) => i > 0 && all[i - 1]!.startsWith('-----BEGIN ')) ?? '';
  return firstLine.slice(0, SIGN_KEY_CHARS);
}


async function accept(ctx: ServiceContext, req: IncomingMessage): Promise<number> {
  if (req.method !== 'POST') {
    req.resume();
    throw new Refusal(`/cgi-bin/report-log takes only POST (got ${req.method})`, 405);
  }
  const body = await readBody(req, MAX_BODY_BYTES, () => new Refusal(`the body is over ${MAX_BODY_BYTES} bytes`));
  if (body.length < H.total) throw new Refusal(`the body is ${body.length} bytes, shorter than the ${H.total}-byte header`);
  let at = 0;
  const take = (n: number) => body.subarray(at, (at += n));
  const signature = take(H.signature).toString('latin1');
  const control = take(H.control).toString('latin1')[0]!;
  const productId = unpad(take(H.productId), ctx.faults);
  const deviceName = unpad(take(H.deviceName), ctx.faults);
  const timestamp = take(H.timestamp).toString('latin1');
  if (!/^[0-9a-fA-F]{40}$/.test(signature)) throw new Refusal('the body must start with the 40-character hex HMAC-SHA1 signature');
  if (control !== 'P' && control !== 'C') throw new Refusal(`the control byte must be 'P' (key device) or 'C' (certificate device), got ${JSON.stringify(control)}`);
  // the C SDK writes the hub's time, or 0 when it has none (no SYSTEM_COMM): the digits are signed, not compared with the clock
  if (!/^\d{10}$/.test(timestamp)) throw new Refusal(`the timestamp field must be 10 digits, got ${JSON.stringify(timestamp)}`);
  const device = ctx.registry.getDevice(productId, deviceName);
  if (!device) throw new Refusal(`device ${deviceName} does not exist in product ${productId}`);
  if (!ctx.faults.has('legacy-log-unsigned')) {
    // LOG-010: lowercase hex HMAC-SHA1 over every byte after the signature (utils_hmac_sha1 in _update_time_and_signature)
    const expected = createHmac('sha1', Buffer.from(signingKey(ctx, device, control), 'utf8')).update(body.subarray(H.signature)).digest('hex');
    if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature.toLowerCase()))) throw new Refusal(`the signature does not verify for device ${productId}/${deviceName}`);
  }
  if (device.enableState === 0) throw new Refusal(`device ${productId}/${deviceName} is disabled`);
  // LOG-009: entries end with "\n\f"; "TAG|time|file|func(line): text" — the tag gives the level, the rest is kept
  const text = body.subarray(H.total).toString('utf8').replace(/\0+$/, '');
  const atMs = ctx.clock.now();
  const lines = text.split(DELIMITER).filter((e) => e.trim() !== '').map((entry) => {
    const level = TAGS[entry.slice(0, 3)];
    return level
      ? { productId, deviceName, level, content: entry.slice(3).replace(/^\|/, ''), atMs }
      : { productId, deviceName, level: 'INFO', content: entry, atMs };
  });
  store(ctx).add(lines, atMs);
  return lines.length;
}

/** Answers {"Retcode":0,"Retmsg":"ok"} (the SDKs read only Retcode) or {"Retcode":-1,"Retmsg":why}. */
export function legacyReportLog(ctx: ServiceContext, req: IncomingMessage, res: ServerResponse): void {
  accept(ctx, req).then(
    (n) => sendJson(res, 200, { Retcode: 0, Retmsg: `ok: ${n} entries stored` }),
    (err: unknown) => {
      if (err instanceof Refusal) {
        ctx.log(`http: /cgi-bin/report-log refused: ${err.message}`);
        return sendJson(res, err.status, { Retcode: -1, Retmsg: err.message });
      }
      ctx.log(`http: /cgi-bin/report-log: internal error: ${(err as Error).stack ?? String(err)}`);
      sendJson(res, 500, { Retcode: -1, Retmsg: 'internal error in the reference hub' });
    },
  );
}

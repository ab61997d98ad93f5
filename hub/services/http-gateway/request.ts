// Reads and authenticates one signed device request of the HTTP gateway (/device/publish, /device/reportlog): method, content type, X-TC-* headers, timestamp, JSON body, device, signature.

import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Device } from '../../registry/index.js';
import { readBody } from '../body.js';
import type { ServiceContext } from '../types.js';
import { signatureMethod, supportedAlgorithms } from './signature.js';

/** Gateway timestamps more than 300 s from the hub's clock are refused (protocol.md §8.2 RECOMMENDATION; HTTP-008). */
export const GATEWAY_TIMESTAMP_SKEW_SECONDS = 300;
/** Bodies are read up to this size; a larger one is PayloadOverLimit (a publish is at most 16 KiB once decoded). */
export const GATEWAY_MAX_BODY_BYTES = 64 * 1024;

/** A refusal: answered HTTP `status` with {"Response":{"Error":{Code,Message},"RequestId"}} (protocol.md §8.4 RECOMMENDATION). */
export class GatewayError extends Error {
  constructor(readonly code: string, message: string, readonly status = 200) {
    super(message);
    this.name = 'GatewayError';
  }
}

export const badField = (name: string, expected: string, got: unknown) =>
  new GatewayError('InvalidParameterValue', `${name} must be ${expected} (got ${JSON.stringify(got) ?? String(got)})`);

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendOk(res: ServerResponse, extra: Record<string, unknown> = {}): void {
  sendJson(res, 200, { Response: { ...extra, RequestId: randomUUID() } });
}

export function sendError(res: ServerResponse, err: GatewayError): void {
  sendJson(res, err.status, { Response: { Error: { Code: err.code, Message: err.message }, RequestId: randomUUID() } });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Host header without the port: the CanonicalHost of the string to sign (HTTP-013). */
export function canonicalHost(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}


export interface SignedRequest {
  device: Device;
  params: Record<string, unknown>;
}

export interface SignedRequestOptions {
  /** Fault `http-accept-stale-timestamp`: skip the timestamp window. */
  skipTimestamp?: boolean;
  /** Fault `log-unsigned-upload`: skip the signature (headers may be absent). */
  skipSignature?: boolean;
  /** Largest body read (default GATEWAY_MAX_BODY_BYTES). */
  maxBodyBytes?: number;
}

/** Checks, in order: POST → JSON content type → X-TC-* headers → timestamp window → JSON object body → device → signature. */
export async function readSignedRequest(req: IncomingMessage, ctx: ServiceContext, o: SignedRequestOptions = {}): Promise<SignedRequest> {
  if (req.method !== 'POST') {
    req.resume();
    throw new GatewayError('InvalidRequest', `the device gateway takes only POST (got ${req.method})`, 405); // HTTP-012
  }
  const contentType = header(req, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    req.resume();
    throw new GatewayError('InvalidParameterValue', `Content-Type must be application/json (got ${JSON.stringify(contentType)})`); // HTTP-012
  }
  const limit = o.maxBodyBytes ?? GATEWAY_MAX_BODY_BYTES;
  const body = await readBody(req, limit, () => new GatewayError('InvalidParameterValue.PayloadOverLimit', `the request body is over ${limit} bytes`));
  const algorithm = header(req, 'x-tc-algorithm');
  const timestamp = header(req, 'x-tc-timestamp');
  const nonce = header(req, 'x-tc-nonce');
  const signature = header(req, 'x-tc-signature');
  if (!o.skipSignature) {
    for (const [name, value] of [['X-TC-Algorithm', algorithm], ['X-TC-Timestamp', timestamp], ['X-TC-Nonce', nonce], ['X-TC-Signature', signature]] as const) {
      if (!value) throw new GatewayError('InvalidParameterValue', `the header ${name} is missing; sign the request as protocol.md §8.2 describes`); // HTTP-009
    }
    if (!/^\d{1,12}$/.test(timestamp!)) throw new GatewayError('InvalidParameterValue', `X-Tc-Timestamp error: X-TC-Timestamp must be Unix seconds (got ${JSON.stringify(timestamp)})`);
    if (!/^\d{1,20}$/.test(nonce!)) throw new GatewayError('InvalidParameterValue', `X-TC-Nonce must be a decimal integer (got ${JSON.stringify(nonce)})`);
    if (!signatureMethod(algorithm!)) {
      throw new GatewayError('InvalidParameterValue', `X-TC-Algorithm ${JSON.stringify(algorithm)} is not supported; use one of ${supportedAlgorithms().join(', ')}`);
    }
    const skew = Math.abs(Math.floor(ctx.clock.now() / 1000) - Number(timestamp));
    if (!o.skipTimestamp && skew > GATEWAY_TIMESTAMP_SKEW_SECONDS) {
      // HTTP-008: "X-Tc-Timestamp error" is the message seen in the field (protocol.md §8.4)
      throw new GatewayError('InvalidParameterValue', `X-Tc-Timestamp error: ${timestamp} is ${skew} s from the hub's clock (allowed ±${GATEWAY_TIMESTAMP_SKEW_SECONDS} s)`);
    }
  }
  let params: unknown;
  try {
    params = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError('InvalidParameterValue', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new GatewayError('InvalidParameterValue', 'the body must be a JSON object');
  }
  const p = params as Record<string, unknown>;
  for (const name of ['ProductId', 'DeviceName']) {
    if (typeof p[name] !== 'string' || p[name] === '') throw badField(name, 'a non-empty string', p[name]);
  }
  const device = ctx.registry.getDevice(p['ProductId'] as string, p['DeviceName'] as string);
  if (!device) throw new GatewayError('ResourceNotFound.DeviceNotExist', `device ${String(p['DeviceName'])} does not exist in product ${String(p['ProductId'])}`);
  if (!o.skipSignature) {
    const stringToSign = [
      'POST',
      canonicalHost(header(req, 'host') ?? ''),
      (req.url ?? '').split('?')[0],
      '',
      algorithm, // verbatim (HTTP-004)
      timestamp,
      nonce,
      createHash('sha256').update(body).digest('hex'),
    ].join('\n');
    if (!signatureMethod(algorithm!)!.verify({ device, stringToSign, signature: signature!, registry: ctx.registry })) {
      throw new GatewayError('AuthFailure.SignatureFailure', `X-TC-Signature does not verify for device ${device.productId}/${device.deviceName} (key devices: Base64 HMAC keyed with the PSK text over the string to sign)`); // HTTP-007
    }
  }
  if (device.enableState === 0) {
    throw new GatewayError('UnauthorizedOperation.DeviceIsNotEnabled', `device ${device.productId}/${device.deviceName} is disabled`); // HTTP-015
  }
  return { device, params: p };
}

/** Runs a gateway handler and answers every refusal with the error envelope; the hub keeps running on any input. */
export function gatewayRoute(ctx: ServiceContext, req: IncomingMessage, res: ServerResponse, handler: () => Promise<Record<string, unknown> | void>): void {
  handler().then(
    (extra) => sendOk(res, extra ?? {}),
    (err: unknown) => {
      if (err instanceof GatewayError) {
        ctx.log(`http: ${req.url} -> ${err.code}: ${err.message}`);
        return sendError(res, err);
      }
      ctx.log(`http: ${req.url}: internal error: ${(err as Error).stack ?? String(err)}`);
      sendError(res, new GatewayError('InternalError', 'internal error in the reference hub', 500));
    },
  );
}

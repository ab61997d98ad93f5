// Dynamic registration (protocol.md §8.5): POST /device/register signed with the ProductSecret, the legacy C SDK's
// POST /register/dev, and UpdateProductDynamicRegister. A registered device gets its PSK (or certificate) encrypted with the secret.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action } from '../../api/context.js';
import { ApiError } from '../../api/errors.js';
import { optInt, optString, PRODUCT_ID, reqInt, reqString, type Params } from '../../api/params.js';
import { requireProduct } from '../../api/views.js';
import { DEFAULT_DEVICES_PER_PRODUCT } from '../../limits.js';
import type { Product } from '../../registry/index.js';
import { newDevicePsk } from '../../registry/ids.js';
import { authorityOf } from '../../tls/authority.js';
import { canonicalHost, GATEWAY_TIMESTAMP_SKEW_SECONDS, GatewayError, gatewayRoute, sendJson } from '../http-gateway/request.js';
import { readBody } from '../body.js';
import type { HubService, ServiceContext } from '../types.js';
import { encryptRegisterPayload, legacySignatureValid } from './payload.js';
import { dynregProperties, dynregStore, PRODUCT_SECRET, type DynregSettings, type RegisterType } from './store.js';

export { dynregProperties, dynregStore } from './store.js';

/** Registration bodies are small: ProductId, DeviceName and at most a certificate (custom-CA products). */
const MAX_REGISTER_BODY_BYTES = 64 * 1024;
const bodyTooLarge = () => new GatewayError('InvalidParameterValue.PayloadOverLimit', `the request body is over ${MAX_REGISTER_BODY_BYTES} bytes`);
const DEVICE_NAME_RE = /^[a-zA-Z0-9:_-]{1,48}$/;
/**
 * Hosts accepted as CanonicalHost besides the request's own: the official SDKs sign these fixed names whatever URL they
 * post to (Python and Java: ap-guangzhou.gateway.tencentdevices.com; C: its DYN_REG_SERVER_URL), so a hub on another
 * address must accept them to serve those SDKs.
 */
const SDK_SIGNED_HOSTS = ['ap-guangzhou.gateway.tencentdevices.com', 'gateway.tencentdevices.com', 'us-east.gateway.tencentdevices.com', 'europe.gateway.tencentdevices.com', 'ap-bangkok.gateway.tencentdevices.com'];

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};


function jsonObject(body: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new GatewayError('InvalidParameterValue', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new GatewayError('InvalidParameterValue', 'the body must be a JSON object');
  return v as Record<string, unknown>;
}

const field = (p: Record<string, unknown>, name: string): string => {
  const v = p[name];
  if (typeof v !== 'string' || v === '') throw new GatewayError('InvalidParameterValue', `${name} must be a non-empty string (got ${JSON.stringify(v) ?? String(v)})`);
  return v;
};

const nowSeconds = (ctx: ServiceContext) => Math.floor(ctx.clock.wall() / 1000);

function checkTimestamp(ctx: ServiceContext, timestamp: number): void {
  const skew = Math.abs(nowSeconds(ctx) - timestamp);
  if (skew > GATEWAY_TIMESTAMP_SKEW_SECONDS) {
    throw new GatewayError('InvalidParameterValue', `X-Tc-Timestamp error: ${timestamp} is ${skew} s from the hub's clock (allowed ±${GATEWAY_TIMESTAMP_SKEW_SECONDS} s)`);
  }
}

function requireRegisterProduct(ctx: ServiceContext, productId: string): Product {
  const product = ctx.registry.getProduct(productId);
  if (!product) throw new GatewayError('ResourceNotFound.ProductNotExist', `product ${productId} does not exist`);
  return product;
}

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * X-TC-Signature of /device/register, keyed with the ProductSecret text (HTTP-023). The received X-TC-Algorithm is signed
 * verbatim; hmacsha256 hashes the body with SHA-256; hmacsha1 with SHA-256 (the doc) or SHA-1 (the C SDK's
 * `qcloud_iot_http_post_sign_calc`). CanonicalHost: the request's Host without port or a host the SDKs sign (above).
 */
function registerSignatureValid(ctx: ServiceContext, req: IncomingMessage, body: Buffer, productSecret: string, h: { algorithm: string; timestamp: string; nonce: string; signature: string }): boolean {
  const mac = h.algorithm.toLowerCase() === 'hmacsha1' ? 'sha1' : 'sha256';
  const bodyHashes = mac === 'sha1' && !ctx.faults.has('dynreg-sha256-body-only') ? ['sha256', 'sha1'] : ['sha256'];
  const secret = ctx.faults.has('dynreg-secret-prefix-key') ? productSecret.slice(0, 16) : productSecret;
  const hosts = [canonicalHost(header(req, 'host') ?? ''), ...SDK_SIGNED_HOSTS];
  const uri = (req.url ?? '').split('?')[0];
  for (const hash of bodyHashes) {
    const hashed = createHash(hash).update(body).digest('hex');
    for (const host of hosts) {
      const stringToSign = ['POST', host, uri, '', h.algorithm, h.timestamp, h.nonce, hashed].join('\n');
      if (equalText(createHmac(mac, Buffer.from(secret, 'utf8')).update(stringToSign).digest('base64'), h.signature)) return true;
    }
  }
  return false;
}

/**
 * Registers `deviceName` in the product by its settings and answers the plaintext the device decrypts (HTTP-019, HTTP-021):
 * RegisterType 0 refuses; an existing enabled device gets its PSK (certificate devices: a new certificate and key); an
 * unknown name is created only with RegisterType 2, within RegisterLimit and the product's device quota.
 */
async function register(ctx: ServiceContext, product: Product, s: DynregSettings, deviceName: string): Promise<string> {
  const { productId } = product;
  const ignoreType = ctx.faults.has('dynreg-ignore-register-type');
  if (s.registerType === 0 && !ignoreType) {
    throw new GatewayError('UnauthorizedOperation.PermissionDenied', `dynamic registration is off for product ${productId} (RegisterType 0); enable it with UpdateProductDynamicRegister`);
  }
  if (product.forbidden) throw new GatewayError('UnauthorizedOperation.ProductIsForbidden', `product ${productId} is forbidden`);
  if (!DEVICE_NAME_RE.test(deviceName) && !ctx.faults.has('dynreg-any-device-name')) throw new GatewayError('InvalidParameterValue', `DeviceName must be 1–48 characters of [a-zA-Z0-9:_-] (got ${JSON.stringify(deviceName)})`);
  const keyProduct = product.properties.EncryptionType === '2';
  const authority = keyProduct ? undefined : authorityOf(ctx.registry);
  if (!keyProduct && !authority) throw new GatewayError('InternalError', 'this hub has no certificate authority to issue device certificates', 500);
  const store = dynregStore(ctx.registry);
  const quota = ctx.settings.devicesPerProduct ?? DEFAULT_DEVICES_PER_PRODUCT;
  const mayCreate = (): void => {
    if (s.registerType !== 2 && !ignoreType) {
      throw new GatewayError('ResourceNotFound.DeviceNotExist', `device ${deviceName} does not exist in product ${productId}, and RegisterType 1 registers only devices created beforehand`);
    }
    if (store.createdCount(productId) >= s.registerLimit) {
      throw new GatewayError('LimitExceeded.DeviceExceedLimit', `registration already created ${s.registerLimit} devices in product ${productId}, its RegisterLimit`);
    }
    if (ctx.registry.countDevices(productId) >= quota) throw new GatewayError('LimitExceeded.DeviceExceedLimit', `product ${productId} already has ${quota} devices, the quota`);
  };

  let device = ctx.registry.getDevice(productId, deviceName);
  if (device && device.enableState === 0) throw new GatewayError('UnauthorizedOperation.DeviceIsNotEnabled', `device ${productId}/${deviceName} is disabled`);
  if (!device) mayCreate();
  if (keyProduct) {
    if (!device) {
      device = ctx.registry.createDevice(productId, deviceName, newDevicePsk(), [], nowSeconds(ctx));
      store.markCreated(productId, deviceName);
      ctx.log(`register: created ${productId}/${deviceName}`);
    }
    const psk = ctx.faults.has('dynreg-wrong-psk') ? newDevicePsk() : device.psk;
    return JSON.stringify({ encryptionType: 2, psk });
  }
  // HTTP-024: certificate products; the hub keeps no device keys, so every registration issues a new certificate
  // and key, and only the newest certificate logs in
  const issued = await authority!.issueDevice(productId, deviceName, ctx.clock.wall());
  device = ctx.registry.getDevice(productId, deviceName);
  if (!device) {
    mayCreate(); // again: issuing awaited
    ctx.registry.createDevice(productId, deviceName, null, [], nowSeconds(ctx));
    store.markCreated(productId, deviceName);
    ctx.log(`register: created certificate device ${productId}/${deviceName}`);
  }
  authority!.registerDevice(productId, deviceName, issued.cert);
  return JSON.stringify({ encryptionType: 1, clientCert: issued.cert, clientKey: issued.key });
}

/** POST /device/register: POST → JSON content type → X-TC-* headers → timestamp ±300 s → body → product → signature → registration. */
async function deviceRegister(ctx: ServiceContext, req: IncomingMessage): Promise<Record<string, unknown>> {
  if (req.method !== 'POST') {
    req.resume();
    throw new GatewayError('InvalidRequest', `/device/register takes only POST (got ${req.method})`, 405);
  }
  const contentType = header(req, 'content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    req.resume();
    throw new GatewayError('InvalidParameterValue', `Content-Type must be application/json (got ${JSON.stringify(contentType)})`);
  }
  const body = await readBody(req, MAX_REGISTER_BODY_BYTES, bodyTooLarge);
  const h = { algorithm: header(req, 'x-tc-algorithm'), timestamp: header(req, 'x-tc-timestamp'), nonce: header(req, 'x-tc-nonce'), signature: header(req, 'x-tc-signature') };
  for (const [name, value] of Object.entries(h)) {
    if (!value) throw new GatewayError('InvalidParameterValue', `the header X-TC-${name[0]!.toUpperCase()}${name.slice(1)} is missing; sign the request with the ProductSecret (protocol.md §8.2)`);
  }
  const { algorithm, timestamp, nonce, signature } = h as Record<keyof typeof h, string>;
  if (!/^\d{1,12}$/.test(timestamp)) throw new GatewayError('InvalidParameterValue', `X-Tc-Timestamp error: X-TC-Timestamp must be Unix seconds (got ${JSON.stringify(timestamp)})`);
  if (!/^\d{1,20}$/.test(nonce)) throw new GatewayError('InvalidParameterValue', `X-TC-Nonce must be a decimal integer (got ${JSON.stringify(nonce)})`);
  if (!['hmacsha256', 'hmacsha1'].includes(algorithm.toLowerCase())) {
    throw new GatewayError('InvalidParameterValue', `X-TC-Algorithm ${JSON.stringify(algorithm)} is not supported on /device/register; use hmacsha256 or hmacsha1`);
  }
  checkTimestamp(ctx, Number(timestamp)); // HTTP-008 applies to registration too
  const p = jsonObject(body);
  const productId = field(p, 'ProductId');
  const deviceName = field(p, 'DeviceName');
  const product = requireRegisterProduct(ctx, productId);
  const settings = dynregStore(ctx.registry).settings(productId);
  if (!registerSignatureValid(ctx, req, body, settings.productSecret, { algorithm, timestamp, nonce, signature })) {
    // HTTP-023: only the product's ProductSecret signs a registration
    throw new GatewayError('AuthFailure.SignatureFailure', `X-TC-Signature does not verify for product ${productId} (Base64 HMAC keyed with the ProductSecret text over the string to sign)`);
  }
  const plaintext = await register(ctx, product, settings, deviceName);
  return encryptRegisterPayload(plaintext, settings.productSecret, ctx.faults); // HTTP-019: {Len, Payload}
}

/** Legacy answer codes: 1010 is the one the field has seen (signature); the others are this hub's choice (hub/README.md). */
const LEGACY_CODES: [RegExp, number][] = [
  [/^AuthFailure/, 1010],
  [/^InvalidParameterValue/, 1001],
  [/^ResourceNotFound/, 1002],
  [/^UnauthorizedOperation/, 1003],
  [/^LimitExceeded/, 1004],
];

/**
 * POST /register/dev (legacy C SDK, HTTP-025): a JSON body whatever the content type (the SDK sends a form type),
 * {deviceName, nonce, productId, timestamp, signature}; answered {"code":0,"payload":…} or {"code":N,"message":…}.
 */
function legacyRegister(ctx: ServiceContext, req: IncomingMessage, res: ServerResponse): void {
  const run = async (): Promise<string> => {
    if (req.method !== 'POST') {
      req.resume();
      throw new GatewayError('InvalidRequest', `/register/dev takes only POST (got ${req.method})`, 405);
    }
    const p = jsonObject(await readBody(req, MAX_REGISTER_BODY_BYTES, bodyTooLarge));
    const productId = field(p, 'productId');
    const deviceName = field(p, 'deviceName');
    const signature = field(p, 'signature');
    const int = (name: string): number => {
      const v = p[name];
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new GatewayError('InvalidParameterValue', `${name} must be an integer (got ${JSON.stringify(v) ?? String(v)})`);
      return v;
    };
    const nonce = int('nonce');
    const timestamp = int('timestamp');
    checkTimestamp(ctx, timestamp);
    const product = requireRegisterProduct(ctx, productId);
    const settings = dynregStore(ctx.registry).settings(productId);
    if (!legacySignatureValid({ productSecret: settings.productSecret, deviceName, nonce, productId, timestamp, signature }, ctx.faults)) {
      throw new GatewayError('AuthFailure.SignatureFailure', 'Check signature failed'); // HTTP-026: the message seen in the field
    }
    const plaintext = await register(ctx, product, settings, deviceName);
    return encryptRegisterPayload(plaintext, settings.productSecret, ctx.faults).Payload;
  };
  run().then(
    (payload) => sendJson(res, 200, { code: 0, payload }),
    (err: unknown) => {
      if (!(err instanceof GatewayError)) {
        ctx.log(`http: /register/dev: internal error: ${(err as Error).stack ?? String(err)}`);
        return sendJson(res, 500, { code: 1000, message: 'internal error in the reference hub' });
      }
      ctx.log(`http: /register/dev -> ${err.code}: ${err.message}`);
      const code = LEGACY_CODES.find(([re]) => re.test(err.code))?.[1] ?? 1000;
      sendJson(res, err.status, { code, message: err.message });
    },
  );
}

/** UpdateProductDynamicRegister (Appendix A): sets RegisterType and RegisterLimit, answers them with the ProductSecret (HTTP-022). */
const UpdateProductDynamicRegister: Action = {
  params: ['ProductId', 'RegisterType', 'RegisterLimit'],
  run(actx, p: Params) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const registerType = reqInt(p, 'RegisterType', { oneOf: [0, 1, 2] }) as RegisterType;
    const registerLimit = reqInt(p, 'RegisterLimit', { min: 0, max: DEFAULT_DEVICES_PER_PRODUCT });
    const product = requireProduct(actx.registry, productId);
    if (product.forbidden) throw new ApiError('UnauthorizedOperation.ProductIsForbidden', `product ${productId} is forbidden`);
    return dynregProperties(dynregStore(actx.registry).update(productId, registerType, registerLimit));
  },
};

/**
 * The three ProductProperties of dynamic registration given to CreateProduct, validated before the product is made
 * (RegisterType 0–2, RegisterLimit ≥ 0, ProductSecret 16–32 printable characters); absent ones get the defaults.
 */
export function dynregInput(props: Params | undefined): Partial<DynregSettings> {
  const at = (name: string) => `ProductProperties.${name}`;
  const scoped = Object.fromEntries(Object.entries(props ?? {}).map(([k, v]) => [at(k), v]));
  const registerType = optInt(scoped, at('RegisterType'), { oneOf: [0, 1, 2] }) as RegisterType | undefined;
  const registerLimit = optInt(scoped, at('RegisterLimit'), { min: 0, max: DEFAULT_DEVICES_PER_PRODUCT });
  const productSecret = scoped[at('ProductSecret')] === '' ? undefined : optString(scoped, at('ProductSecret'), PRODUCT_SECRET);
  return {
    ...(registerType !== undefined ? { registerType } : {}),
    ...(registerLimit !== undefined ? { registerLimit } : {}),
    ...(productSecret !== undefined ? { productSecret } : {}),
  };
}

export const registerService: HubService = {
  name: 'register',
  actions: { UpdateProductDynamicRegister },
  http: {
    '/device/register': (req, res, ctx) => gatewayRoute(ctx, req, res, () => deviceRegister(ctx, req)),
    '/register/dev': (req, res, ctx) => legacyRegister(ctx, req, res),
  },
};

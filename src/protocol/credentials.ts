/** Device credentials as the protocol defines them: clientId, username, signed password (protocol.md §1.3–§1.4). */
import { createHmac } from 'node:crypto';

export type SignMethod = 'hmacsha256' | 'hmacsha1';
/** sdkappid values seen in the field: the docs and Java SDK send the first, the C and Python SDKs the second. */
export const SDKAPPIDS = ['12010126', '21010406'] as const;
/** The C SDK's default expiry (LONG_MAX): a hub must parse expiry as a 64-bit integer. */
export const EXPIRY_LONG_MAX = 9223372036854775807n;

export const PRODUCT_ID_RE = /^[A-Z0-9]{10}$/;
export const DEVICE_NAME_RE = /^[a-zA-Z0-9:_-]{1,48}$/;
export const PRODUCT_NAME_RE = /^[a-zA-Z0-9:_-]{1,32}$/;
const CONNID_RE = /^[A-Za-z0-9]{1,32}$/;
const SDKAPPID_RE = /^[0-9]{1,16}$/;
const EXPIRY_RE = /^[0-9]{1,19}$/;
const INT64_MAX = 9223372036854775807n;

export interface DeviceIdentity { productId: string; deviceName: string }
export interface UsernameFields { clientId: string; sdkappid: string; connid: string; expiry: bigint }

export function clientIdOf(d: DeviceIdentity): string {
  return `${d.productId}${d.deviceName}`;
}

export function formatUsername(f: { clientId: string; sdkappid: string; connid: string; expiry: bigint | number | string }): string {
  return `${f.clientId};${f.sdkappid};${f.connid};${f.expiry}`;
}

/** Parses `clientId;sdkappid;connid;expiry`; returns null when it is not well formed (access-rules §1). */
export function parseUsername(username: string): UsernameFields | null {
  const parts = username.split(';');
  if (parts.length !== 4) return null;
  const [clientId, sdkappid, connid, expiry] = parts as [string, string, string, string];
  if (!clientId || !SDKAPPID_RE.test(sdkappid) || !CONNID_RE.test(connid) || !EXPIRY_RE.test(expiry)) return null;
  const value = BigInt(expiry);
  if (value > INT64_MAX) return null;
  return { clientId, sdkappid, connid, expiry: value };
}

/** Splits a clientId into productId (10 chars) and deviceName, or null when it cannot be one. */
export function splitClientId(clientId: string): DeviceIdentity | null {
  const productId = clientId.slice(0, 10);
  const deviceName = clientId.slice(10);
  if (!PRODUCT_ID_RE.test(productId) || !DEVICE_NAME_RE.test(deviceName)) return null;
  return { productId, deviceName };
}

/** lowercase-hex(HMAC(base64-decode(psk), username)) followed by `;method`. */
export function signPassword(username: string, psk: string, method: SignMethod = 'hmacsha256'): string {
  const algorithm = method === 'hmacsha256' ? 'sha256' : 'sha1';
  const token = createHmac(algorithm, Buffer.from(psk, 'base64')).update(username).digest('hex');
  return `${token};${method}`;
}

export interface LoginOptions {
  sdkappid?: string;
  connid?: string;
  /** Seconds since the epoch; defaults to one hour from `now`. */
  expiry?: bigint | number;
  method?: SignMethod;
  now?: number;
}

export interface Login { clientId: string; username: string; password: string }

/** Everything a device puts in its CONNECT to log in with a key (PSK). */
export function deviceLogin(device: DeviceIdentity & { psk: string }, o: LoginOptions = {}): Login {
  const clientId = clientIdOf(device);
  const expiry = o.expiry ?? Math.floor((o.now ?? Date.now()) / 1000) + 3600;
  const username = formatUsername({ clientId, sdkappid: o.sdkappid ?? SDKAPPIDS[0], connid: o.connid ?? 'a1B2c', expiry: BigInt(expiry) });
  return { clientId, username, password: signPassword(username, device.psk, o.method ?? 'hmacsha256') };
}

/** Why a login must be refused, in the order access-rules §1 checks it; null when it must be accepted. */
export type LoginRefusal = 'keepalive' | 'malformed' | 'client-id' | 'unknown-device' | 'signature' | 'expired' | 'disabled';

export interface RegisteredDevice extends DeviceIdentity { psk: string; enabled: boolean }

/** The model's verdict on a CONNECT: which refusal applies, or null. */
export function judgeLogin(
  connect: { clientId: string; username?: string; password?: string; keepalive: number },
  lookup: (id: DeviceIdentity) => RegisteredDevice | undefined,
  nowMs: number,
): LoginRefusal | null {
  if (connect.keepalive < 0 || connect.keepalive > 900) return 'keepalive';
  const fields = connect.username === undefined ? null : parseUsername(connect.username);
  const pw = connect.password === undefined ? null : /^([0-9a-fA-F]{40}|[0-9a-fA-F]{64});(hmacsha256|hmacsha1)$/.exec(connect.password);
  if (!fields || !pw) return 'malformed';
  if ((pw[2] === 'hmacsha256') !== (pw[1]!.length === 64)) return 'malformed';
  if (fields.clientId !== connect.clientId) return 'client-id';
  const id = splitClientId(connect.clientId);
  if (!id) return 'client-id';
  const device = lookup(id);
  if (!device) return 'unknown-device';
  if (signPassword(connect.username!, device.psk, pw[2] as SignMethod).toLowerCase() !== connect.password!.toLowerCase()) return 'signature';
  if (fields.expiry < BigInt(Math.floor(nowMs / 1000))) return 'expired';
  if (!device.enabled) return 'disabled';
  return null;
}

/** CONNACK return code the reference reading expects for each refusal (access-rules §1). */
export const CONNACK_FOR: Record<LoginRefusal, number> = {
  keepalive: 3, malformed: 4, 'client-id': 2, 'unknown-device': 4, signature: 4, expired: 4, disabled: 5,
};

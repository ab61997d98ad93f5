// CONNECT policy: the login checks of access-rules §1 in their order, wired into Aedes' preConnect and authenticate hooks.

import type { AedesOptions, Client, ConnectPacket } from 'aedes';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Faults } from '../faults.js';
import { LOGIN_REFUSAL_FLOOR_MS, MAX_KEEPALIVE_SECONDS } from '../limits.js';
import type { Registry } from '../registry/index.js';
import { CLIENT_ID_RE, parsePassword, parseUsername, verifyToken } from './credentials.js';
import { transportLogin } from '../tls/login.js';
import { transportIdentity, type TransportIdentity } from '../tls/transport.js';
import type { Sessions } from './sessions.js';

export const CONNACK = {
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

type Refusal = { returnCode: 2 | 3 | 4 | 5; reason: string; unpadded?: true };
type Login = { productId: string; deviceName: string };

/** What preConnect saw on the CONNECT packet (authenticate only receives username and password). */
interface ConnectInfo {
  clientId: string;
  keepalive: number;
}

export interface ConnectPolicyDeps {
  registry: Registry;
  sessions: Sessions;
  faults: Faults;
  nowMs: () => number;
  log: (line: string) => void;
}

function refuse(returnCode: Refusal['returnCode'], reason: string): Refusal {
  return { returnCode, reason };
}

/** A client that came in over WebSocket (ws:// or wss://): the upgrade request is kept on it. */
export function isWebSocket(client: Client): boolean {
  return client.req !== undefined && client.req !== null;
}

export function remoteAddress(client: Client): string {
  const req = client.req as { socket?: { remoteAddress?: string } } | undefined;
  const conn = client.conn as { remoteAddress?: string };
  return (req?.socket?.remoteAddress ?? conn.remoteAddress ?? '').replace(/^::ffff:/, '');
}

export function createConnectPolicy(deps: ConnectPolicyDeps): Pick<AedesOptions, 'preConnect' | 'authenticate'> {
  const { registry, sessions, faults, nowMs, log } = deps;
  const seen = new WeakMap<Client, ConnectInfo>();
  /** The key logins of unknown devices are checked against (AUTH-029): a PSK of the usual length no one knows. */
  const dummyPsk = randomBytes(16).toString('base64');
  /** Only with the fault `reenabled-device-refused`: devices once refused as disabled, never forgotten (a stale cache). */
  const refusedAsDisabled = new Set<string>();

  /** The checks, in the order of the access-rules §1 table; the first failing one decides the CONNACK code. */
  function check(info: ConnectInfo, username: string | undefined, password: Buffer | undefined, transport?: TransportIdentity): Refusal | Login {
    if (info.keepalive > MAX_KEEPALIVE_SECONDS) {
      return refuse(CONNACK.SERVER_UNAVAILABLE, `keepalive ${info.keepalive} s is over ${MAX_KEEPALIVE_SECONDS} s`); // AUTH keepalive 0–900
    }
    if (username === undefined) return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'no username');
    const fields = parseUsername(username, { connid: !faults.has('connid-unchecked'), expiryWithin64Bits: !faults.has('accept-expiry-over-64-bits') });
    if (!fields) return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'username is not clientId;sdkappid;connid;expiry');
    // TLS-PSK or a client certificate proved the identity: the password is not used (TLS-005, TLS-009, TLS-014)
    if (transport) return transportLogin(transport, info.clientId, fields.clientIdField, registry, faults);
    const named = CLIENT_ID_RE.exec(info.clientId);
    if (named && registry.getProduct(named[1]!)?.properties.EncryptionType === '1') {
      return refuse(CONNACK.NOT_AUTHORIZED, 'a certificate device must present its client certificate (mutual TLS); its password is not used');
    }
    if (password === undefined) return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'no password');
    const sent = parsePassword(password.toString('utf8'));
    if (!sent) return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'password is not hex;hmacsha256 or hex;hmacsha1');
    const id = CLIENT_ID_RE.exec(info.clientId);
    if (info.clientId !== fields.clientIdField || !id) {
      return refuse(CONNACK.IDENTIFIER_REJECTED, 'clientId differs from the username or is not productId+deviceName');
    }
    const productId = id[1]!;
    const deviceName = id[2]!;
    if (faults.has('login-timing-leak')) {
      // the fault: an unknown product or device is refused before the device lookup and the HMAC a real one costs
      const product = registry.getProduct(productId);
      if (!product || !registry.getDevice(productId, deviceName)) return { ...refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'unknown product or device'), unpadded: true };
    }
    // AUTH-029: the same lookups and the same HMAC, against a dummy key when there is no device, whatever is unknown,
    // so the time to the CONNACK does not tell which devices exist; the verdicts then keep the access-rules §1 order.
    const product = registry.getProduct(productId);
    const device = registry.getDevice(productId, deviceName);
    const psk = device?.psk ?? dummyPsk;
    // AUTH-017: the key is the decoded PSK; the fault also takes the Base64 text's bytes as a key
    const signed = verifyToken(psk, username, sent)
      || (faults.has('accept-psk-text-as-key') && verifyToken(psk, username, sent, Buffer.from(psk, 'utf8')));
    if (!product || !device) return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, 'unknown product or device');
    if (!faults.has('accept-bad-signature') && (device.psk === null || !signed)) {
      return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, `wrong ${sent.method} signature`); // AUTH signature
    }
    if (!faults.has('ignore-expiry') && fields.expiry < BigInt(Math.floor(nowMs() / 1000))) {
      return refuse(CONNACK.BAD_USERNAME_OR_PASSWORD, `expiry ${fields.expiry} is in the past`); // AUTH expiry
    }
    if (faults.has('reenabled-device-refused')) {
      if (device.enableState === 0) refusedAsDisabled.add(info.clientId);
      if (refusedAsDisabled.has(info.clientId)) return refuse(CONNACK.NOT_AUTHORIZED, 'device is disabled (remembered)');
    }
    if (device.enableState === 0) return refuse(CONNACK.NOT_AUTHORIZED, 'device is disabled');
    if (product.forbidden) return refuse(CONNACK.NOT_AUTHORIZED, 'product is forbidden');
    return { productId, deviceName };
  }

  return {
    preConnect(client, packet: ConnectPacket, callback) {
      seen.set(client, { clientId: packet.clientId ?? '', keepalive: packet.keepalive ?? 0 });
      // Will messages are not supported (protocol.md §1.1): drop it before Aedes stores it.
      delete (packet as { will?: unknown }).will;
      // Faults that change what Aedes does with the CONNECT (the checks above use the packet as sent).
      if (faults.has('keepalive-zero-times-out') && packet.keepalive === 0) packet.keepalive = 1;
      if (isWebSocket(client)) {
        if (faults.has('ws-keepalive-ignored')) packet.keepalive = 0;
        // Aedes keys "one connection per client" by the id: another id for WebSocket logins escapes it
        if (faults.has('ws-no-single-session') && packet.clientId) packet.clientId = `${packet.clientId}@ws`;
      }
      callback(null, true);
    },

    authenticate(client, username, password, callback) {
      const started = performance.now();
      const info = seen.get(client) ?? { clientId: client.id ?? '', keepalive: 0 };
      let verdict: Refusal | Login;
      try {
        verdict = check(info, username ?? undefined, password ?? undefined, transportIdentity(client));
      } catch (err) {
        log(`mqtt: login check failed unexpectedly: ${String(err)}`);
        verdict = refuse(CONNACK.SERVER_UNAVAILABLE, 'internal error');
      }
      if ('returnCode' in verdict) {
        if (faults.has('uniform-refusal-code')) verdict = { ...verdict, returnCode: CONNACK.BAD_USERNAME_OR_PASSWORD };
        log(`mqtt: refused ${JSON.stringify(info.clientId)} with CONNACK ${verdict.returnCode}: ${verdict.reason}`);
        const refusal = Object.assign(new Error(verdict.reason), { returnCode: verdict.returnCode });
        if (faults.has('login-timing-leak') && verdict.unpadded) return void callback(refusal, null); // the fault's early refusal
        // AUTH-029: every refusal is answered the same time after the check began; what is left of the checks' own
        // differences (rows read and parsed for a real device, none for an unknown one) hides under the floor
        const answer = () => {
          const left = LOGIN_REFUSAL_FLOOR_MS - (performance.now() - started);
          // timers run on the loop's cached clock and may fire a little early: wait again for what is left
          if (left > 0) setTimeout(answer, left);
          else callback(refusal, null);
        };
        answer();
        return;
      }
      // the CONNACK waits for the device's online mark, so that any worker of a cluster sees it online once it is
      sessions.bind(client, verdict.productId, verdict.deviceName, remoteAddress(client)).then(() => {
        log(`mqtt: ${info.clientId} logged in`);
        // one connection per device: Aedes' registerClient closes an older client with the same id
        callback(null, true);
      }, (err: Error) => {
        log(`mqtt: refused ${JSON.stringify(info.clientId)} with CONNACK ${CONNACK.SERVER_UNAVAILABLE}: its login cannot be recorded (${err.message})`);
        callback(Object.assign(new Error('the login cannot be recorded'), { returnCode: CONNACK.SERVER_UNAVAILABLE }), null);
      });
    },
  };
}

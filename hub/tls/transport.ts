// TLS listeners' policy: versions and cipher suites, TLS-PSK key selection by identity, the client-certificate check after
// the handshake, and what each secured connection proved (kept per socket for the CONNECT check).

import { DEFAULT_CIPHERS, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';
import { CLIENT_ID_RE } from '../auth/credentials.js';
import type { TlsAuthority, TrustedCa } from './authority.js';

/** What the TLS layer proved about a connection before its CONNECT. */
export type TransportIdentity =
  | { kind: 'psk'; identity: string }
  | { kind: 'cert'; commonName: string; fingerprint: string; ca: TrustedCa | undefined };

/** TLS-PSK suites: the two the C SDK offers (compat.md) first, then their GCM forms for newer clients. TLS-PSK is TLS ≤ 1.2 in Node. */
export const PSK_CIPHERS = ['PSK-AES128-CBC-SHA', 'PSK-AES256-CBC-SHA', 'PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384'];

/**
 * Node's default suites plus exactly the PSK suites above (Node's `!PSK` becomes `-PSK`, which lets them be added back after it),
 * at OpenSSL security level 0: protocol.md §1.1 says the real service accepts TLSv1–TLSv1.2, and OpenSSL 3 refuses
 * TLS 1.0/1.1 at its default level 1.
 */
export const HUB_CIPHERS = [...DEFAULT_CIPHERS.split(':').map((c) => (c === '!PSK' ? '-PSK' : c)), ...PSK_CIPHERS, '@SECLEVEL=0'].join(':');
export const HUB_MIN_TLS = 'TLSv1';
export const HUB_MAX_TLS = 'TLSv1.3';

const identities = new WeakMap<object, TransportIdentity>();

/** The identity the TLS layer proved for an Aedes client: its own socket (TLS port) or its HTTP request's socket (WSS). */
export function transportIdentity(client: { conn: unknown; req?: unknown }): TransportIdentity | undefined {
  const conn = client.conn as object | undefined;
  const socket = (client.req as { socket?: object } | undefined)?.socket;
  return (conn && identities.get(conn)) || (socket && identities.get(socket)) || undefined;
}

export interface TlsPolicyDeps {
  authority: TlsAuthority;
  registry: Registry;
  faults: Faults;
  nowMs: () => number;
  log: (line: string) => void;
}

/**
 * Server options for the TLS port (psk: true) and the WSS port: the client certificate is requested but not demanded, so key
 * devices (password or PSK) share the port; a presented certificate is judged by `verifySecured` right after the handshake.
 */
export function serverOptions(deps: TlsPolicyDeps, psk: boolean): TlsOptions {
  const { authority, registry, faults, log } = deps;
  return {
    key: authority.server.key,
    cert: authority.server.cert,
    minVersion: HUB_MIN_TLS,
    maxVersion: HUB_MAX_TLS,
    ciphers: HUB_CIPHERS,
    requestCert: true,
    rejectUnauthorized: false,
    ...(psk
      ? {
          // TLS-005/TLS-006: the key is chosen by identity = ClientId; an unknown identity fails the handshake (alert unknown_psk_identity).
          pskCallback(socket: TLSSocket, identity: string): Buffer | null {
            const id = CLIENT_ID_RE.exec(identity);
            const device = id ? registry.getDevice(id[1]!, id[2]!) : undefined;
            if (!device?.psk) {
              log(`tls: TLS-PSK identity ${JSON.stringify(identity)} is not a key device`);
              return null;
            }
            identities.set(socket, { kind: 'psk', identity });
            // The fault keys the handshake with the Base64 text instead of the decoded bytes (compare AUTH-017).
            return faults.has('psk-accept-wrong-key') ? Buffer.from(device.psk, 'utf8') : Buffer.from(device.psk, 'base64');
          },
        }
      : {}),
  };
}

/** Judges a secured connection before any MQTT byte is read: false means close it (TLS-011). */
export function verifySecured(socket: TLSSocket, deps: TlsPolicyDeps): boolean {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return true; // key devices: the password or the PSK decides at CONNECT
  const verdict = deps.authority.verifyPeer(cert, deps.nowMs(), deps.faults);
  if (!verdict.ok) {
    deps.log(`tls: refused client certificate: ${verdict.reason}`);
    return false;
  }
  identities.set(socket, { kind: 'cert', commonName: verdict.commonName, fingerprint: verdict.fingerprint, ca: verdict.ca });
  return true;
}

// The hub's certificate authority: the CA (created at first start and kept in the registry, or given), the server certificate,
// device certificates it issues, customer CAs registered through the API, and the checks a client certificate must pass.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';
import { createCa, fingerprint, issue, parseCaCert, type CertAndKey } from './pki.js';

/** Certificates the hub issues to devices are valid this long (the real service's are valid for years). */
export const DEVICE_CERT_DAYS = 3650;
/** Customer CAs per account (S-CERT, protocol.md §11). */
export const MAX_PRIVATE_CAS = 10;

const META_CA = 'tls-ca';
const META_PRIVATE_CAS = 'tls-private-cas';
const metaDeviceCert = (productId: string, deviceName: string) => `tls-device-cert:${productId}/${deviceName}`;
const metaDevicePem = (productId: string, deviceName: string) => `tls-device-pem:${productId}/${deviceName}`;
/** A device's private key until DescribeDeviceClientKey fetches it once (TLS-013); '' once fetched. */
const metaDeviceKey = (productId: string, deviceName: string) => `tls-device-key:${productId}/${deviceName}`;
/** Keys of issued certificates whose device was not registered (yet): a CreateDevice that failed after issuing leaves one. */
const MAX_UNREGISTERED_KEYS = 100;

export interface TrustedCa {
  name: string;
  cert: X509Certificate;
  /** True for the hub's own CA: its device certificates must also match the fingerprint registered for the device. */
  platform: boolean;
}

export type PeerVerdict = { ok: true; ca: TrustedCa | undefined; commonName: string; fingerprint: string } | { ok: false; reason: string };

const byRegistry = new WeakMap<Registry, TlsAuthority>();

/** The authority serving this registry's hub (actions and services reach it through ctx.registry). */
export function authorityOf(registry: Registry): TlsAuthority | undefined {
  return byRegistry.get(registry);
}

/** The Common Name of a certificate's subject ('' when it has none). */
export function commonName(cert: X509Certificate): string {
  const m = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
  return m ? m[1]!.trim() : '';
}

export class TlsAuthority {
  private privateCache: { raw: string; cas: TrustedCa[] } | undefined;
  /** Certificate PEM → private key PEM, between issueDevice and registerDevice (in memory only). */
  private readonly unregisteredKeys = new Map<string, string>();
  private readonly hubCa: TrustedCa;

  private constructor(private readonly registry: Registry, readonly ca: CertAndKey, readonly server: CertAndKey) {
    this.hubCa = { name: 'hub', cert: new X509Certificate(ca.cert), platform: true };
  }

  /**
   * Opens the authority for a hub: a given CA wins (checked: a CA certificate and its matching key); a file-backed hub
   * otherwise keeps the CA it created the first time. The server certificate is issued anew at every start for `hosts`.
   */
  static async open(registry: Registry, given: CertAndKey | undefined, hosts: string[], nowMs: number): Promise<TlsAuthority> {
    let ca: CertAndKey;
    if (given) {
      const cert = parseCaCert(given.cert, 'tls.caCert');
      let matches = false;
      try {
        matches = cert.checkPrivateKey(createPrivateKey(given.key));
      } catch {
        throw new Error('tls.caKey is not a PEM private key (expected -----BEGIN PRIVATE KEY-----...)');
      }
      if (!matches) throw new Error('tls.caKey does not belong to tls.caCert; give the CA certificate and its own private key');
      ca = given;
    } else {
      const stored = registry.getMeta(META_CA);
      if (stored) ca = JSON.parse(stored) as CertAndKey;
      else {
        ca = await createCa('hubcheck reference hub CA', nowMs);
        registry.setMeta(META_CA, JSON.stringify(ca));
      }
    }
    const ip = hosts.filter((h) => /^[\d.]+$|:/.test(h));
    const dns = hosts.filter((h) => !ip.includes(h));
    const server = await issue(ca, { commonName: hosts[0] ?? '127.0.0.1', usage: 'server', altNames: { ip, dns }, keyType: 'ec', nowMs, validDays: 825 });
    const authority = new TlsAuthority(registry, ca, server);
    byRegistry.set(registry, authority);
    return authority;
  }

  /** Issues a device certificate (CN = productId+deviceName, RSA 2048); the caller registers it once the device exists. */
  async issueDevice(productId: string, deviceName: string, nowMs: number): Promise<CertAndKey> {
    const issued = await issue(this.ca, { commonName: `${productId}${deviceName}`, usage: 'client', keyType: 'rsa', nowMs, validDays: DEVICE_CERT_DAYS });
    if (this.unregisteredKeys.size >= MAX_UNREGISTERED_KEYS) this.unregisteredKeys.delete(this.unregisteredKeys.keys().next().value!);
    this.unregisteredKeys.set(issued.cert, issued.key);
    return issued;
  }

  /**
   * Records the fingerprint of the certificate issued to a device: only that certificate logs in as it (TLS-010).
   * Its private key is kept until DescribeDeviceClientKey fetches it, once (TLS-013).
   */
  registerDevice(productId: string, deviceName: string, certPem: string): void {
    this.registry.setMeta(metaDeviceCert(productId, deviceName), fingerprint(new X509Certificate(certPem)));
    this.registry.setMeta(metaDevicePem(productId, deviceName), certPem);
    this.registry.setMeta(metaDeviceKey(productId, deviceName), this.unregisteredKeys.get(certPem) ?? '');
    this.unregisteredKeys.delete(certPem);
  }

  /** The private key of the certificate last issued to a device, the first time it is asked for; undefined afterwards. */
  takeDeviceKey(productId: string, deviceName: string): string | undefined {
    const key = this.registry.getMeta(metaDeviceKey(productId, deviceName));
    if (!key) return undefined;
    this.registry.setMeta(metaDeviceKey(productId, deviceName), '');
    return key;
  }

  /** The certificate (PEM) last issued to a device, for RSA-SHA256 gateway signatures (§8.2); only its public key is used. */
  registeredCert(productId: string, deviceName: string): string | undefined {
    return this.registry.getMeta(metaDevicePem(productId, deviceName));
  }

  /** The fingerprint of the certificate last issued to a device, if the hub issued one. */
  registeredFingerprint(productId: string, deviceName: string): string | undefined {
    return this.registry.getMeta(metaDeviceCert(productId, deviceName));
  }

  private privateCas(): TrustedCa[] {
    const raw = this.registry.getMeta(META_PRIVATE_CAS) ?? '{}';
    if (this.privateCache?.raw !== raw) {
      const map = JSON.parse(raw) as Record<string, string>;
      this.privateCache = { raw, cas: Object.entries(map).map(([name, pem]) => ({ name, cert: new X509Certificate(pem), platform: false })) };
    }
    return this.privateCache.cas;
  }

  privateCaNames(): string[] {
    return this.privateCas().map((c) => c.name);
  }

  /** Registers a customer CA (any certificate product trusts it); throws Error naming the problem. */
  addPrivateCa(name: string, pem: string): void {
    parseCaCert(pem, 'CertText');
    const map = JSON.parse(this.registry.getMeta(META_PRIVATE_CAS) ?? '{}') as Record<string, string>;
    map[name] = pem;
    this.registry.setMeta(META_PRIVATE_CAS, JSON.stringify(map));
  }

  deletePrivateCa(name: string): boolean {
    const map = JSON.parse(this.registry.getMeta(META_PRIVATE_CAS) ?? '{}') as Record<string, string>;
    if (!(name in map)) return false;
    delete map[name];
    this.registry.setMeta(META_PRIVATE_CAS, JSON.stringify(map));
    return true;
  }

  /** TLS-011: the client certificate must be issued (and signed) by a trusted CA and be within its validity at the hub's time. */
  verifyPeer(cert: X509Certificate, nowMs: number, faults: Faults): PeerVerdict {
    const trusted = [this.hubCa, ...this.privateCas()];
    const ca = trusted.find((t) => cert.checkIssued(t.cert) && cert.verify(t.cert.publicKey));
    if (!ca && !faults.has('tls-accept-any-ca')) return { ok: false, reason: `certificate issuer "${cert.issuer.replaceAll('\n', ', ')}" is not a CA the hub trusts` };
    if (!faults.has('tls-ignore-expiry')) {
      const from = Date.parse(cert.validFrom);
      const to = Date.parse(cert.validTo);
      if (nowMs < from) return { ok: false, reason: `certificate is not valid before ${cert.validFrom}` };
      if (nowMs > to) return { ok: false, reason: `certificate expired at ${cert.validTo}` };
    }
    return { ok: true, ca, commonName: commonName(cert), fingerprint: fingerprint(cert) };
  }
}

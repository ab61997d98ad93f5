// Certificate plumbing for the hub: key pairs, a self-signed CA, and certificates it issues (server and device), as PEM.

import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const subtle = webcrypto.subtle;

/** ECDSA P-256 for the CA and the server (cheap to generate at every in-memory start); RSA 2048 for devices (§8.2 signs with RSA-SHA256). */
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) } as const;

export interface CertAndKey {
  cert: string;
  key: string;
}

const DAY_MS = 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

async function keyPair(kind: 'ec' | 'rsa'): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(kind === 'ec' ? EC : RSA, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** Imports a PEM private key (PKCS#8, PKCS#1 or SEC1) as a WebCrypto signing key, whatever its type (EC P-256/384 or RSA). */
async function signingKey(keyPem: string): Promise<{ key: CryptoKey; algorithm: Algorithm }> {
  const k = createPrivateKey(keyPem);
  const der = k.export({ format: 'der', type: 'pkcs8' });
  if (k.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: await subtle.importKey('pkcs8', der, algorithm, false, ['sign']), algorithm };
  }
  if (k.asymmetricKeyType === 'ec') {
    const curve = k.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? 'P-384' : 'P-256';
    const algorithm = { name: 'ECDSA', namedCurve: curve, hash: 'SHA-256' };
    return { key: await subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, ['sign']), algorithm };
  }
  throw new Error(`CA key type ${k.asymmetricKeyType ?? 'unknown'} is not supported; use an RSA or EC P-256/P-384 key`);
}

const serial = () => '01' + randomBytes(15).toString('hex'); // positive, 16 bytes

/** A self-signed CA valid for 20 years. */
export async function createCa(commonName: string, nowMs: number): Promise<CertAndKey> {
  const keys = await keyPair('ec');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(nowMs - DAY_MS),
    notAfter: new Date(nowMs + 20 * 365 * DAY_MS),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey)) };
}

export interface IssueOptions {
  commonName: string;
  /** 'server' adds serverAuth and the host names / IPs as subjectAltName; 'client' adds clientAuth. */
  usage: 'server' | 'client';
  altNames?: { dns?: string[]; ip?: string[] };
  keyType: 'ec' | 'rsa';
  nowMs: number;
  validDays: number;
}

/** Issues a leaf certificate under `ca`; returns the certificate and its new private key (PKCS#8 PEM). */
export async function issue(ca: CertAndKey, o: IssueOptions): Promise<CertAndKey> {
  const issuer = new x509.X509Certificate(ca.cert);
  const { key: caKey, algorithm } = await signingKey(ca.key);
  const keys = await keyPair(o.keyType);
  const names: x509.JsonGeneralName[] = [
    ...(o.altNames?.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.altNames?.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${o.commonName}`,
    issuer: issuer.subject,
    notBefore: new Date(o.nowMs - 3_600_000), // an hour of slack for clocks behind the hub's
    notAfter: new Date(o.nowMs + o.validDays * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([o.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
      ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Checks that a PEM text is one CA certificate (basicConstraints CA:TRUE); returns it parsed, or throws naming the problem. */
export function parseCaCert(text: string, field: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(text);
  } catch {
    throw new Error(`${field} is not a PEM certificate (expected -----BEGIN CERTIFICATE-----...)`);
  }
  if (!cert.ca) throw new Error(`${field} is not a CA certificate (basicConstraints CA:TRUE is missing)`);
  return cert;
}

/** Lowercase hex SHA-256 fingerprint without separators: the form the registry keeps for platform-issued certificates. */
export function fingerprint(cert: X509Certificate): string {
  return cert.fingerprint256.replaceAll(':', '').toLowerCase();
}

/** Test certificates made on the fly (the harness's own, independent of the hub's): CAs and client certificates with any CN and validity. */
import { randomBytes, webcrypto } from 'node:crypto';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const subtle = webcrypto.subtle;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface TestCa { cert: string; key: CryptoKey; name: string }
export interface CertPair { cert: string; key: string }

const pem = (label: string, der: ArrayBuffer) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
const serial = () => '01' + randomBytes(15).toString('hex');

/** A self-signed CA (ECDSA P-256) valid from a day ago for ten years. */
export async function createTestCa(commonName: string): Promise<TestCa> {
  const keys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: keys.privateKey, name: commonName };
}

/** A client certificate under `ca` with the given CN and validity window (defaults: valid from an hour ago for a year). */
export async function issueTestCert(ca: TestCa, o: { commonName: string; notBefore?: Date; notAfter?: Date }): Promise<CertPair> {
  const keys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const issuer = new x509.X509Certificate(ca.cert);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${o.commonName}`,
    issuer: issuer.subject,
    notBefore: o.notBefore ?? new Date(Date.now() - 3_600_000),
    notAfter: o.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Vendor keys: Ed25519 (default) or ECDSA P-256 pairs made with node:crypto, loaded with errors that say what to do. */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { HubcheckError } from '../errors.js';

export type KeyType = 'ed25519' | 'ecdsa-p256';
export const KEY_TYPES: readonly KeyType[] = ['ed25519', 'ecdsa-p256'];

/** The algorithm a key signs with, named as the certificate and the manifest show it. */
export function keyTypeOf(key: KeyObject): KeyType | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  return undefined;
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `${key.asymmetricKeyType ?? 'unknown'}${curve ? ` (${curve})` : ''}${key.asymmetricKeyDetails?.modulusLength ? ` (${key.asymmetricKeyDetails.modulusLength} bits)` : ''}`;
}

/** sha256 of the public key's SubjectPublicKeyInfo (DER), hex: the key's name in the bundle and on the certificate. */
export function fingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

export function publicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

function readKeyFile(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new HubcheckError('KEY_INVALID', `${field} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); make a key pair with hubcheck keygen --out vendor`);
  }
}

function checkType(key: KeyObject, file: string, field: string): KeyType {
  const type = keyTypeOf(key);
  if (!type) throw new HubcheckError('KEY_INVALID', `${field} ${file}: a ${describeKey(key)} key; hubcheck signs with Ed25519 or ECDSA P-256 keys: make one with hubcheck keygen --type ed25519`);
  return type;
}

export interface SigningKey { privateKey: KeyObject; publicKey: KeyObject; type: KeyType; fingerprint: string }

/** certify --key: a PEM private key (PKCS#8, or SEC1 for EC) of a supported type. */
export function loadSigningKey(file: string, field = '--key'): SigningKey {
  const text = readKeyFile(file, field);
  if (/-----BEGIN PUBLIC KEY-----/.test(text) && !/PRIVATE KEY-----/.test(text)) {
    throw new HubcheckError('KEY_INVALID', `${field} ${file}: a public key; certify signs with the private key (the PREFIX.key file hubcheck keygen wrote); the public one is for verify`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(text);
  } catch (e) {
    throw new HubcheckError('KEY_INVALID', `${field} ${file}: not a PEM private key (${(e as Error).message.split('\n')[0]}); make one with hubcheck keygen --out vendor`);
  }
  const type = checkType(privateKey, file, field);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, type, fingerprint: fingerprint(publicKey) };
}

/** verify --key: a PEM public key (a private key is accepted too: its public half is used). */
export function loadVerifyingKey(file: string, field = '--key'): { publicKey: KeyObject; type: KeyType; fingerprint: string } {
  const text = readKeyFile(file, field);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(text);
  } catch (e) {
    throw new HubcheckError('KEY_INVALID', `${field} ${file}: not a PEM public key (${(e as Error).message.split('\n')[0]}); use the PREFIX.pub file the vendor published`);
  }
  const type = checkType(publicKey, file, field);
  return { publicKey, type, fingerprint: fingerprint(publicKey) };
}

/** keygen: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM). */
export function generateKeyPair(prefix: string, type: KeyType = 'ed25519'): { privateFile: string; publicFile: string; fingerprint: string } {
  if (!KEY_TYPES.includes(type)) throw new HubcheckError('BAD_OPTION', `--type ${JSON.stringify(type)}: use ed25519 or ecdsa-p256`);
  for (const f of [`${prefix}.key`, `${prefix}.pub`]) {
    if (existsSync(f)) throw new HubcheckError('BAD_OPTION', `--out ${prefix}: ${f} exists and a key is never overwritten; choose another --out`);
  }
  const pair = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateFile = `${prefix}.key`;
  const publicFile = `${prefix}.pub`;
  try {
    // 'wx': never overwrite a key someone may already have published the public half of.
    writeFileSync(privateFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    chmodSync(privateFile, 0o600); // a umask cannot widen it, but be explicit
    writeFileSync(publicFile, publicKeyPem(pair.publicKey), { mode: 0o644, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HubcheckError('BAD_OPTION', `--out ${prefix}: cannot write ${code === 'EEXIST' ? 'the key: a file of that name exists (a key is never overwritten); choose another --out' : `the key (${code ?? (e as Error).message})`}`);
  }
  return { privateFile, publicFile, fingerprint: fingerprint(pair.publicKey) };
}

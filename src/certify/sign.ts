/**
 * Signing in existing formats: an in-toto Statement v1 whose subjects are the bundle's files and whose predicate is
 * the certification, in a DSSE envelope inside a Sigstore bundle (v0.3) made by @sigstore/sign with the vendor's own
 * key. No witness (Rekor, a timestamp authority) is asked: everything stays offline, and the verifier is told to
 * expect none. Keyless signing with a CI's identity token would add a Fulcio certificate and a Rekor entry instead.
 */
import { sign as cryptoSign } from 'node:crypto';
import { bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, type Signer } from '@sigstore/sign';
import type { SigningKey } from './keys.js';
import { publicKeyPem } from './keys.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://hubcheck.dev/certification/v1';
/** DSSE payloadType of an in-toto statement (in-toto attestation spec, envelope layer). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface Subject { name: string; digest: { sha256: string } }
export interface Statement<P = unknown> { _type: typeof STATEMENT_TYPE; subject: Subject[]; predicateType: string; predicate: P }

export function statementFor<P>(subjects: Subject[], predicate: P): Statement<P> {
  return { _type: STATEMENT_TYPE, subject: subjects, predicateType: PREDICATE_TYPE, predicate };
}

/** A @sigstore/sign Signer over a key held in this process: DSSE's PAE bytes in, a raw signature and the key's hint out. */
function keySigner(key: SigningKey): Signer {
  return {
    sign: async (data: Buffer) => ({
      // Ed25519 hashes internally (no digest named); ECDSA P-256 signs SHA-256, as the verifier's default expects.
      signature: cryptoSign(key.type === 'ed25519' ? null : 'sha256', data, key.privateKey),
      key: { $case: 'publicKey', publicKey: publicKeyPem(key.publicKey), hint: key.fingerprint },
    }),
  };
}

/** The Sigstore bundle (JSON) holding the DSSE-signed statement. */
export async function signStatement(statement: Statement, key: SigningKey): Promise<SerializedBundle> {
  const builder = new DSSEBundleBuilder({ signer: keySigner(key), witnesses: [] });
  const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement), 'utf8'), type: IN_TOTO_PAYLOAD_TYPE });
  return bundleToJSON(bundle);
}

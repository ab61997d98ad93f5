/**
 * Verifies a certification bundle offline: the Sigstore bundle's DSSE signature with the vendor's key (through
 * @sigstore/verify, with no transparency log or timestamp expected), the in-toto statement it signs, every file's
 * digest, no file missing and none added, and that the suite which judged the hub is this hubcheck's.
 */
import { readFileSync, statSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { assertBundle, BUNDLE_V03_MEDIA_TYPE, bundleFromJSON, bundleToJSON, isBundleWithDsseEnvelope, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, Verifier, type TrustMaterial } from '@sigstore/verify';
import { HubcheckError } from '../errors.js';
import { validatePayload } from '../schema/index.js';
import { ATTESTATION_FILE, digestFile, listFiles, MANIFEST_FILE, PREDICATE_FILE, PUBLIC_KEY_FILE } from './files.js';
import { ownSuiteIdentity, type SuiteIdentity } from './identity.js';
import { loadVerifyingKey } from './keys.js';
import type { CertificationPredicate } from './predicate.js';
import { IN_TOTO_PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, type Statement } from './sign.js';

export interface VerifyOptions {
  /** The vendor's public key (PEM file); without it the bundle's own signer.pub is used, and the result says so. */
  key?: string;
  /** Accept a bundle judged by another suite version (said plainly, not refused). */
  acceptOtherSuite?: boolean;
  /** The suite to compare with (default: this hubcheck's own). */
  suite?: SuiteIdentity;
}

export interface VerifyOutcome {
  /** True when nothing is wrong: the bundle is exactly what the key signed, judged by a suite this hubcheck knows. */
  ok: boolean;
  /** What is wrong, one line each, naming the file or the part. */
  problems: string[];
  /** Said but not wrong: the key was not pinned, another suite was accepted. */
  notes: string[];
  predicate?: CertificationPredicate;
  signer?: { fingerprint: string; pinned: boolean };
  suite?: { bundle: SuiteIdentity; own: SuiteIdentity; same: boolean };
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

function refuse(problem: string, notes: string[] = []): VerifyOutcome {
  return { ok: false, problems: [problem], notes };
}

function readJson(dir: string, file: string): unknown {
  const text = readFileSync(path.join(dir, file), 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HubcheckError('BUNDLE_REFUSED', `${file}: not valid JSON (${(e as Error).message}): it was changed or damaged`);
  }
}

/** The Sigstore bundle, checked for being in exactly the form certify wrote (any other byte is a change). */
function readAttestation(dir: string): { bundle: Bundle; raw: string } {
  let raw: string;
  try {
    raw = readFileSync(path.join(dir, ATTESTATION_FILE), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HubcheckError('BUNDLE_INVALID', `${dir}: ${code === 'ENOENT' ? `no ${ATTESTATION_FILE}` : `cannot read ${ATTESTATION_FILE} (${code ?? (e as Error).message})`}; a bundle is the directory hubcheck certify --out wrote, with its signature in ${ATTESTATION_FILE}`);
  }
  const data = readJson(dir, ATTESTATION_FILE);
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(data);
    assertBundle(bundle);
  } catch (e) {
    throw new HubcheckError('BUNDLE_REFUSED', `${ATTESTATION_FILE}: not a Sigstore bundle (${(e as Error).message}): it was changed or damaged`);
  }
  // The JSON form is not unique (spacing, key order, unknown fields, base64 spare bits): hold it to the one written.
  if (json(bundleToJSON(bundle)) !== raw) throw new HubcheckError('BUNDLE_REFUSED', `${ATTESTATION_FILE}: changed after signing (its bytes are not the form hubcheck certify wrote)`);
  return { bundle, raw };
}

function trustFor(publicKey: KeyObject, fingerprint: string): TrustMaterial {
  return {
    certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [],
    publicKey: (hint: string) => {
      if (hint !== fingerprint) throw new Error(`no key ${hint}`);
      return { publicKey, validFor: () => true };
    },
  };
}

/** Names in the statement must be plain relative paths inside the bundle. */
const SAFE_NAME = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._\/-]+$/;

export async function verifyBundle(dir: string, o: VerifyOptions = {}): Promise<VerifyOutcome> {
  let isDir = false;
  try { isDir = statSync(dir).isDirectory(); } catch { /* reported below */ }
  if (!isDir) throw new HubcheckError('BUNDLE_INVALID', `${dir}: not a directory; give the bundle directory hubcheck certify wrote (unpack an archive first)`);
  // A bad --key is the caller's mistake, said before anything about the bundle.
  const pinned = o.key ? loadVerifyingKey(o.key) : undefined;
  const { bundle } = readAttestation(dir);
  if (!isBundleWithDsseEnvelope(bundle)) return refuse(`${ATTESTATION_FILE}: holds a message signature, not a DSSE envelope; it is not a hubcheck certification`);
  const envelope = bundle.content.dsseEnvelope;
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return refuse(`${ATTESTATION_FILE}: DSSE payloadType ${JSON.stringify(envelope.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  const vm = bundle.verificationMaterial.content;
  if (vm.$case !== 'publicKey') return refuse(`${ATTESTATION_FILE}: signed with a ${vm.$case}, not a vendor key; hubcheck verify checks key-signed bundles`);
  const hint = vm.publicKey.hint;
  // certify writes exactly this shape; anything else (another media type, more signatures, a keyid that names
  // another key) was not written by it, even where the signature alone would not notice.
  if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE) return refuse(`${ATTESTATION_FILE}: media type ${JSON.stringify(bundle.mediaType)}, certify writes ${BUNDLE_V03_MEDIA_TYPE}: it was changed`);
  if (envelope.signatures.length !== 1 || envelope.signatures[0]!.keyid !== hint) return refuse(`${ATTESTATION_FILE}: the DSSE signature's keyid does not name the key the bundle names (${hint}): it was changed`);

  // The key: the vendor's, pinned with --key, or the one the bundle carries (which only proves integrity).
  const notes: string[] = [];
  let key: { publicKey: KeyObject; fingerprint: string };
  if (pinned) key = pinned;
  else {
    try {
      key = loadVerifyingKey(path.join(dir, PUBLIC_KEY_FILE), 'bundle file');
    } catch (e) {
      return refuse(`${PUBLIC_KEY_FILE}: ${(e as Error).message.replace(/^bundle file \S+: /, '')}; it was changed or removed (or pass the vendor's key with --key)`);
    }
    notes.push(`the key was not pinned: the bundle was checked against its own ${PUBLIC_KEY_FILE} (sha256:${key.fingerprint}); pass the vendor's published key with --key to know who signed it`);
  }
  if (hint !== key.fingerprint) {
    return refuse(o.key
      ? `signed by another key: ${ATTESTATION_FILE} names key sha256:${hint}, --key ${o.key} is sha256:${key.fingerprint}`
      : `${PUBLIC_KEY_FILE} is not the key that signed: ${ATTESTATION_FILE} names key sha256:${hint}, ${PUBLIC_KEY_FILE} is sha256:${key.fingerprint}`, notes);
  }
  try {
    new Verifier(trustFor(key.publicKey, key.fingerprint), { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
  } catch (e) {
    return refuse(`${ATTESTATION_FILE}: the signature does not verify with key sha256:${key.fingerprint} (${(e as Error).message}): the statement was changed after signing, or another key signed it`, notes);
  }
  const signer = { fingerprint: key.fingerprint, pinned: Boolean(o.key) };

  // The signed statement: well-formed, ours, naming files inside the bundle.
  let statement: Statement<CertificationPredicate>;
  try {
    statement = JSON.parse(Buffer.from(envelope.payload).toString('utf8')) as Statement<CertificationPredicate>;
  } catch {
    return { ok: false, problems: ['the signed statement is not JSON: it was not made by hubcheck certify'], notes, signer };
  }
  if (statement._type !== STATEMENT_TYPE || statement.predicateType !== PREDICATE_TYPE || !Array.isArray(statement.subject)) {
    return { ok: false, problems: [`the signed statement is not a hubcheck certification (_type ${JSON.stringify(statement._type)}, predicateType ${JSON.stringify(statement.predicateType)})`], notes, signer };
  }
  const problems: string[] = [];
  /** Files already reported missing or changed: not read again. */
  const damaged = new Set<string>();
  const valid = validatePayload('certification-predicate.schema.json#', statement.predicate, 'the signed predicate');
  if (!valid.ok) problems.push(valid.text);
  const predicate = statement.predicate;

  // Every file: named by the statement, present, unchanged; nothing more.
  const subjects = new Map<string, string>();
  for (const s of statement.subject) {
    if (typeof s?.name !== 'string' || !SAFE_NAME.test(s.name) || typeof s.digest?.sha256 !== 'string') { problems.push(`the statement names a file outside the bundle or without a sha256: ${JSON.stringify(s).slice(0, 120)}`); continue; }
    subjects.set(s.name, s.digest.sha256);
  }
  const { files, odd } = listFiles(dir);
  const present = new Set(files.filter((f) => f !== ATTESTATION_FILE));
  for (const [name, sha256] of subjects) {
    if (!present.has(name)) { damaged.add(name); problems.push(`missing file: ${name} (signed, no longer in the bundle)`); continue; }
    const found = digestFile(dir, name).sha256;
    if (found !== sha256) { damaged.add(name); problems.push(`changed file: ${name} (sha256 signed ${sha256}, found ${found})`); }
  }
  for (const f of present) if (!subjects.has(f)) problems.push(`extra file: ${f} (not signed; added after signing)`);
  for (const f of odd) problems.push(`extra entry: ${f} (not a plain file; bundles hold plain files only)`);

  // The readable copies must say what was signed.
  if (subjects.has(PREDICATE_FILE) && !damaged.has(PREDICATE_FILE)) {
    const copy = readJson(dir, PREDICATE_FILE);
    if (!isDeepStrictEqual(copy, predicate)) problems.push(`${PREDICATE_FILE}: does not match the signed predicate`);
  } else if (!subjects.has(PREDICATE_FILE)) problems.push(`the statement does not name ${PREDICATE_FILE}`);
  if (subjects.has(MANIFEST_FILE) && !damaged.has(MANIFEST_FILE)) {
    const manifest = readJson(dir, MANIFEST_FILE) as { files?: { path: string; sha256: string }[] };
    const shape = validatePayload('bundle-manifest.schema.json#', manifest, MANIFEST_FILE);
    if (!shape.ok) problems.push(shape.text);
    const listed = new Map((manifest.files ?? []).map((f) => [f.path, f.sha256]));
    const expected = [...subjects].filter(([n]) => n !== MANIFEST_FILE);
    if (listed.size !== expected.length || expected.some(([n, d]) => listed.get(n) !== d)) problems.push(`${MANIFEST_FILE}: its file list does not match the signed statement`);
  } else if (!subjects.has(MANIFEST_FILE)) problems.push(`the statement does not name ${MANIFEST_FILE}`);

  // The suite that judged: this hubcheck's own, or said plainly.
  const own = o.suite ?? ownSuiteIdentity();
  const judgedBy = predicate?.suite;
  let suite: VerifyOutcome['suite'];
  if (judgedBy && typeof judgedBy.digest === 'string') {
    const same = judgedBy.digest === own.digest;
    suite = { bundle: judgedBy, own, same };
    if (!same) {
      const text = `judged by another suite version: the bundle's suite is ${judgedBy.digest} (hubcheck ${judgedBy.hubcheckVersion}), this hubcheck's is ${own.digest} (hubcheck ${own.hubcheckVersion})`;
      if (o.acceptOtherSuite) notes.push(`${text}; accepted (--accept-other-suite)`);
      else problems.push(`${text}; verify with the hubcheck that judged it, or pass --accept-other-suite to accept it knowingly`);
    }
  }
  return { ok: problems.length === 0, problems, notes, predicate, signer, ...(suite ? { suite } : {}) };
}

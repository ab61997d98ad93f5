// Certification without a hub: the verdict rule, the suite digest, redaction, keys, signing and offline verification.
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ATTESTATION_FILE } from '../../src/certify/files.js';
import { ownSuiteIdentity, suiteIdentity } from '../../src/certify/identity.js';
import { loadSigningKey, loadVerifyingKey } from '../../src/certify/keys.js';
import { redactDescriptor, REDACTED, scrubber } from '../../src/certify/redact.js';
import { PREDICATE_TYPE, STATEMENT_TYPE } from '../../src/certify/sign.js';
import { judge } from '../../src/certify/verdict.js';
import { verifyBundle } from '../../src/certify/verify.js';
import { validatePayload } from '../../src/schema/index.js';
import { ROOT } from '../../src/runner/paths.js';
import { keyPair, MISSING, SECRET_KEY, syntheticBundle, syntheticRun, tmp } from './fixtures.js';

describe('the certification verdict', () => {
  it('certifies a run where every applicable MUST passed, listing what the target declared missing', () => {
    const j = judge(syntheticRun());
    expect(j.result).toBe('certified');
    expect(j.reasons).toEqual([]);
    expect(j.capabilities.missing).toEqual(MISSING);
    expect(j.totals.required.passed).toBe(j.totals.required.total);
    expect(j.totals.notApplicable).toBeGreaterThan(0);
  });

  it('a failed MUST refuses certification and is named; a failed SHOULD is only a warning', () => {
    const j = judge(syntheticRun({ 'AUTH-003': 'fail', 'AUTH-019': 'fail' }));
    expect(j.result).toBe('not-certified');
    expect(j.failedMusts).toEqual(['AUTH-003']);
    expect(j.warnings).toEqual(['AUTH-019']);
    expect(j.reasons.join('\n')).toMatch(/AUTH-003/);
    expect(j.reasons.join('\n')).not.toMatch(/AUTH-019/);
    const should = judge(syntheticRun({ 'AUTH-019': 'fail' }));
    expect(should.result).toBe('certified');
    expect(should.warnings).toEqual(['AUTH-019']);
  });

  it('an applicable MUST that no test proved, an errored test, a run error or a fault switch each refuse it', () => {
    const skipped = judge(syntheticRun({ 'ACL-002': 'not-applicable' }));
    expect(skipped.result).toBe('not-certified');
    expect(skipped.untestedMusts).toEqual(['ACL-002']);
    const errored = judge(syntheticRun({ 'AUTH-019': 'error' }));
    expect(errored.result).toBe('not-certified');
    expect(errored.erroredTests).toHaveLength(1);
    expect(judge(syntheticRun(), { runErrors: ['the hub stopped during the run'] }).reasons).toEqual(['run error: the hub stopped during the run']);
    const faulty = judge(syntheticRun({}, { faults: ['offline-burst'] }));
    expect(faulty.result).toBe('not-certified');
    expect(faulty.reasons.join('\n')).toMatch(/fault switches were on \(offline-burst\)/);
  });

  it('a run of another profile than the one asked for is refused', () => {
    expect(judge(syntheticRun(), { profile: 'mqtt-core' }).reasons[0]).toMatch(/profile tencent-hub, not mqtt-core/);
  });
});

describe('the suite identity', () => {
  it('is a sha256 over specs/, suites/ and schemas/ that a one-byte change moves', () => {
    const own = ownSuiteIdentity();
    expect(own.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(suiteIdentity(ROOT).digest).toBe(own.digest); // deterministic
    const copy = tmp();
    for (const d of own.folders) cpSync(path.join(ROOT, d), path.join(copy, d), { recursive: true });
    expect(suiteIdentity(copy).digest).toBe(own.digest); // independent of where and when the files were written
    const file = path.join(copy, 'specs/requirements/auth.ts');
    const bytes = readFileSync(file);
    bytes[100] = bytes[100]! ^ 1;
    writeFileSync(file, bytes);
    expect(suiteIdentity(copy).digest).not.toBe(own.digest);
  });
});

describe('redaction', () => {
  it('removes secretKey, PSKs, passwords, secret env values, private keys and URL passwords, and scrubs their values from text', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const { descriptor, secrets } = redactDescriptor({
      launcher: 'container',
      endpoints: { mqtt: 'mqtt://user:hunter22hunter@127.0.0.1:1883' },
      cloudApi: { secretId: 'AKID1', secretKey: 'topsecretkey1' },
      plainLogin: { username: 'u', password: 'plainpassword1' },
      fixtures: { devices: [{ productId: 'P1', deviceName: 'd1', psk: 'cHNrLXNlY3JldA==' }] },
      container: { image: 'hub:1', env: { HUB_SECRET_KEY: 'envsecret123', LOG_LEVEL: 'debug' }, files: { '/etc/hub/key.pem': pem } },
    });
    const text = JSON.stringify(descriptor);
    for (const s of ['topsecretkey1', 'plainpassword1', 'cHNrLXNlY3JldA==', 'envsecret123', 'PRIVATE KEY', 'hunter22hunter']) expect(text).not.toContain(s);
    expect(text).toContain('"secretId":"AKID1"');
    expect(text).toContain('"LOG_LEVEL":"debug"');
    expect(text).toContain(REDACTED);
    const scrub = scrubber(secrets);
    expect(scrub('login with topsecretkey1 and "cHNrLXNlY3JldA=="')).toBe(`login with ${REDACTED} and "${REDACTED}"`);
  });

  it('keeps the secrets out of every file of a bundle', async () => {
    const dir = tmp();
    const { key } = keyPair(dir);
    // the failing test's message quotes the secret, as a hub log or an error might
    const w = await syntheticBundle(path.join(dir, 'b'), key, { result: syntheticRun({ 'AUTH-003': 'fail' }) });
    for (const f of [...w.files.map((x) => x.path), ATTESTATION_FILE]) expect(readFileSync(path.join(w.dir, f), 'utf8'), f).not.toContain(SECRET_KEY);
    expect(JSON.parse(readFileSync(path.join(w.dir, 'target.json'), 'utf8')).cloudApi.secretKey).toBe(REDACTED);
  });
});

describe('keys', () => {
  it('keygen writes a 0600 private key and a PEM public key, Ed25519 or ECDSA P-256', () => {
    const dir = tmp();
    for (const type of ['ed25519', 'ecdsa-p256'] as const) {
      const { key, priv, pub } = keyPair(dir, type, type);
      expect(statSync(priv).mode & 0o777).toBe(0o600);
      expect(readFileSync(pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(key.type).toBe(type);
      expect(loadVerifyingKey(pub).fingerprint).toBe(key.fingerprint);
    }
  });

  it('refuses a public key to sign with, an RSA key, and a file that is no key, naming the option and the fix', () => {
    const dir = tmp();
    const { pub } = keyPair(dir);
    expect(() => loadSigningKey(pub)).toThrow(/--key .*vendor\.pub: a public key; certify signs with the private key/);
    const rsa = path.join(dir, 'rsa.key');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => loadSigningKey(rsa)).toThrow(/a rsa \(1024 bits\) key; hubcheck signs with Ed25519 or ECDSA P-256 keys: make one with hubcheck keygen/);
    const junk = path.join(dir, 'junk.pem');
    writeFileSync(junk, 'not a key');
    expect(() => loadSigningKey(junk)).toThrow(/not a PEM private key/);
    expect(() => loadVerifyingKey(path.join(dir, 'absent.pub'))).toThrow(/cannot read it \(ENOENT\)/);
  });
});

describe('a signed bundle', () => {
  it.each(['ed25519', 'ecdsa-p256'] as const)('verifies offline with the %s key that signed it', async (type) => {
    const dir = tmp();
    const { key, pub } = keyPair(dir, type);
    const w = await syntheticBundle(path.join(dir, 'b'), key);
    expect(w.predicate.result).toBe('certified');
    const v = await verifyBundle(w.dir, { key: pub });
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.signer).toEqual({ fingerprint: key.fingerprint, pinned: true });
    expect(v.predicate?.result).toBe('certified');
    expect(v.suite?.same).toBe(true);
  });

  it('is an in-toto Statement v1 in a DSSE envelope of a Sigstore bundle, naming every other file with its sha256', async () => {
    const dir = tmp();
    const { key } = keyPair(dir);
    const w = await syntheticBundle(path.join(dir, 'b'), key);
    const sig = JSON.parse(readFileSync(path.join(w.dir, ATTESTATION_FILE), 'utf8'));
    expect(sig.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(sig.verificationMaterial.publicKey.hint).toBe(key.fingerprint);
    expect(sig.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(sig.dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(statement._type).toBe(STATEMENT_TYPE);
    expect(statement.predicateType).toBe(PREDICATE_TYPE);
    const names = statement.subject.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['manifest.json', 'certification.json', 'verdicts.json', 'results.json', 'junit.xml', 'probe.json', 'target.json', 'certificate.html', 'badge.svg', 'signer.pub']));
    expect(names.some((n: string) => n.startsWith('transcripts/passed/'))).toBe(true);
    expect(names).not.toContain(ATTESTATION_FILE);
    const predicate = validatePayload('certification-predicate.schema.json#', statement.predicate, 'predicate');
    expect(predicate.ok, predicate.ok ? '' : predicate.text).toBe(true);
    const manifest = validatePayload('bundle-manifest.schema.json#', JSON.parse(readFileSync(path.join(w.dir, 'manifest.json'), 'utf8')), 'manifest');
    expect(manifest.ok, manifest.ok ? '' : manifest.text).toBe(true);
    expect(JSON.parse(readFileSync(path.join(w.dir, 'certification.json'), 'utf8'))).toEqual(statement.predicate);
  });

  it('a not-certified bundle is authentic too, and its predicate names the failed MUSTs', async () => {
    const dir = tmp();
    const { key, pub } = keyPair(dir);
    const w = await syntheticBundle(path.join(dir, 'b'), key, { result: syntheticRun({ 'ACL-002': 'fail' }) });
    const v = await verifyBundle(w.dir, { key: pub });
    expect(v.ok).toBe(true);
    expect(v.predicate?.result).toBe('not-certified');
    expect(v.predicate?.failedMusts).toEqual(['ACL-002']);
    expect(readFileSync(path.join(w.dir, 'transcripts/failed', readdirOne(path.join(w.dir, 'transcripts/failed'))), 'utf8')).toMatch(/\[ACL-002\][\s\S]*CONNACK/);
  });

  it('without --key it is checked against its own signer.pub, and says the key was not pinned', async () => {
    const dir = tmp();
    const { key } = keyPair(dir);
    const w = await syntheticBundle(path.join(dir, 'b'), key);
    const v = await verifyBundle(w.dir);
    expect(v.ok).toBe(true);
    expect(v.signer?.pinned).toBe(false);
    expect(v.notes.join('\n')).toMatch(/not pinned/);
  });

  it('refuses to write into a directory that is not empty', async () => {
    const dir = tmp();
    const { key } = keyPair(dir);
    await expect(syntheticBundle(dir, key)).rejects.toThrow(/not empty/);
  });
});

function readdirOne(dir: string): string {
  const [first] = readdirSync(dir);
  return first!;
}

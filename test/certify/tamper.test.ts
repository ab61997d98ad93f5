// The tamper matrix: whatever changes in a bundle after signing, verify refuses it with a message naming what changed.
import { readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTESTATION_FILE, listFiles, PUBLIC_KEY_FILE } from '../../src/certify/files.js';
import { ownSuiteIdentity } from '../../src/certify/identity.js';
import { signStatement } from '../../src/certify/sign.js';
import { verifyBundle, type VerifyOptions } from '../../src/certify/verify.js';
import { HubcheckError } from '../../src/errors.js';
import { keyPair, syntheticBundle, syntheticRun, tmp } from './fixtures.js';

/** verify's answer as one text: its problems, or the error it refused with (an unreadable attestation). */
async function verdict(dir: string, o: VerifyOptions): Promise<{ ok: boolean; text: string }> {
  try {
    const v = await verifyBundle(dir, o);
    return { ok: v.ok, text: [...v.problems, ...v.notes].join('\n') };
  } catch (e) {
    if (e instanceof HubcheckError) return { ok: false, text: e.message };
    throw e;
  }
}

let root: string;
let bundle: string;
let pub: string;
let other: ReturnType<typeof keyPair>;
let files: string[];

beforeAll(async () => {
  root = tmp();
  const vendor = keyPair(root);
  other = keyPair(root, 'ecdsa-p256', 'intruder');
  pub = vendor.pub;
  // A failed MUST and a kept pass transcript: both transcript folders are in the bundle.
  bundle = (await syntheticBundle(path.join(root, 'bundle'), vendor.key, { result: syntheticRun({ 'AUTH-003': 'fail' }) })).dir;
  files = listFiles(bundle).files;
  expect((await verdict(bundle, { key: pub })).ok).toBe(true);
});

/** Runs fn with one byte of file changed, then puts it back. */
async function withByteChanged<T>(file: string, offset: number, xor: number, fn: () => Promise<T>): Promise<T> {
  const full = path.join(bundle, file);
  const original = readFileSync(full);
  const changed = Buffer.from(original);
  changed[offset] = changed[offset]! ^ xor;
  writeFileSync(full, changed);
  try {
    return await fn();
  } finally {
    writeFileSync(full, original);
  }
}

describe('verify refuses a tampered bundle', () => {
  it('holds every kind of file: certificate, badge, verdicts, results, JUnit, transcripts, key, manifest, attestation', () => {
    expect(files).toEqual(expect.arrayContaining([ATTESTATION_FILE, 'manifest.json', 'certification.json', 'verdicts.json', 'results.json', 'junit.xml', 'probe.json', 'target.json', 'certificate.html', 'badge.svg', PUBLIC_KEY_FILE]));
    expect(files.some((f) => f.startsWith('transcripts/failed/'))).toBe(true);
    expect(files.some((f) => f.startsWith('transcripts/passed/'))).toBe(true);
  });

  it('one changed byte at the first, middle and last offset of every file, naming the file', async () => {
    for (const file of files) {
      const size = readFileSync(path.join(bundle, file)).length;
      for (const offset of [0, size >> 1, size - 1]) {
        const v = await withByteChanged(file, offset, 0x01, () => verdict(bundle, { key: pub }));
        expect(v.ok, `${file} @${offset}`).toBe(false);
        expect(v.text, `${file} @${offset}`).toContain(file);
      }
    }
  });

  it('one changed byte anywhere (any file, any offset, any new value), naming the file', async () => {
    await fc.assert(fc.asyncProperty(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, at, xor) => {
      const file = files[which % files.length]!;
      const offset = at % readFileSync(path.join(bundle, file)).length;
      const v = await withByteChanged(file, offset, xor, () => verdict(bundle, { key: pub }));
      expect(v.ok).toBe(false);
      expect(v.text).toContain(file);
    }), { numRuns: 300 });
  });

  it('a deleted file, naming it', async () => {
    for (const file of files) {
      const full = path.join(bundle, file);
      const original = readFileSync(full);
      unlinkSync(full);
      try {
        const v = await verdict(bundle, { key: pub });
        expect(v.ok, file).toBe(false);
        expect(v.text, file).toContain(file === ATTESTATION_FILE || file === PUBLIC_KEY_FILE ? file : `missing file: ${file}`);
      } finally {
        writeFileSync(full, original);
      }
    }
  });

  it('an extra file or a link, naming it', async () => {
    for (const extra of ['notes.txt', 'transcripts/passed/extra.txt']) {
      writeFileSync(path.join(bundle, extra), 'added after signing\n');
      try {
        const v = await verdict(bundle, { key: pub });
        expect(v.ok).toBe(false);
        expect(v.text).toContain(`extra file: ${extra}`);
      } finally {
        rmSync(path.join(bundle, extra));
      }
    }
    symlinkSync('/etc/hostname', path.join(bundle, 'linked'));
    try {
      expect((await verdict(bundle, { key: pub })).text).toContain('extra entry: linked');
    } finally {
      unlinkSync(path.join(bundle, 'linked'));
    }
  });

  it('the same statement re-signed under another key, with or without the vendor key pinned', async () => {
    const full = path.join(bundle, ATTESTATION_FILE);
    const original = readFileSync(full);
    const sigstore = JSON.parse(original.toString('utf8'));
    const statement = JSON.parse(Buffer.from(sigstore.dsseEnvelope.payload, 'base64').toString('utf8'));
    writeFileSync(full, `${JSON.stringify(await signStatement(statement, other.key), null, 2)}\n`);
    try {
      const pinned = await verdict(bundle, { key: pub });
      expect(pinned.ok).toBe(false);
      expect(pinned.text).toMatch(new RegExp(`signed by another key: ${ATTESTATION_FILE} names key sha256:${other.key.fingerprint}`));
      const unpinned = await verdict(bundle, {});
      expect(unpinned.ok).toBe(false);
      expect(unpinned.text).toContain(`${PUBLIC_KEY_FILE} is not the key that signed`);
    } finally {
      writeFileSync(full, original);
    }
  });

  it('a whole bundle made and signed by someone else, checked with the vendor key', async () => {
    const forged = await syntheticBundle(path.join(root, 'forged'), other.key);
    const v = await verdict(forged.dir, { key: pub });
    expect(v.ok).toBe(false);
    expect(v.text).toMatch(/signed by another key/);
  });

  it('a bundle judged by a changed suite, or checked by a changed suite; accepted only knowingly', async () => {
    const own = ownSuiteIdentity();
    const changed = { ...own, digest: `sha256:${'0'.repeat(64)}` };
    const dir = tmp();
    const { key, pub: pub2 } = keyPair(dir);
    const judgedElsewhere = await syntheticBundle(path.join(dir, 'b'), key, { suite: changed });
    const v = await verdict(judgedElsewhere.dir, { key: pub2 });
    expect(v.ok).toBe(false);
    expect(v.text).toContain(`judged by another suite version: the bundle's suite is ${changed.digest}`);
    const accepted = await verdict(judgedElsewhere.dir, { key: pub2, acceptOtherSuite: true });
    expect(accepted.ok).toBe(true);
    expect(accepted.text).toMatch(/judged by another suite version.*accepted/);
    // The same bundle as the vendor published it, checked by a hubcheck whose suite changed since.
    const local = await verdict(bundle, { key: pub, suite: changed });
    expect(local.ok).toBe(false);
    expect(local.text).toContain(`this hubcheck's is ${changed.digest}`);
  });
});

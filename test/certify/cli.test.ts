// certify, verify and keygen from the command line: bad input is refused with one clear line and exit 1 (no stack
// trace), before any run starts; verify's output and exit codes for an authentic and a tampered bundle.
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubcheck } from '../cli/helpers.js';
import { keyPair, syntheticBundle, syntheticRun, tmp } from './fixtures.js';

const noStack = (s: string) => expect(s).not.toMatch(/\bat .*\.ts:\d+|internal error/);

describe('certify, verify and keygen on the command line', () => {
  it('refuses a missing key, an unreadable key file, a public key, a key of another type, a bad profile and a used --out', async () => {
    const dir = tmp();
    const { pub, priv } = keyPair(dir);
    const rsa = path.join(dir, 'rsa.key');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const used = path.join(dir, 'used');
    mkdirSync(used);
    writeFileSync(path.join(used, 'x'), 'x');
    const cases: [string[], RegExp, number][] = [
      [['certify'], /--key: missing; .*hubcheck keygen --out vendor/, 1],
      [['certify', '--key', path.join(dir, 'absent.key')], /--key .*absent\.key: cannot read it \(ENOENT\); make a key pair with hubcheck keygen/, 1],
      [['certify', '--key', pub], /a public key; certify signs with the private key/, 1],
      [['certify', '--key', rsa], /a rsa \(1024 bits\) key; hubcheck signs with Ed25519 or ECDSA P-256 keys/, 1],
      [['certify', '--key', priv, '--profile', 'nope'], /--profile "nope": use one of tencent-hub, mqtt-core/, 2],
      [['certify', '--key', priv, '--out', used], /--out .*used: not empty/, 2],
    ];
    for (const [args, message, code] of cases) {
      const r = await hubcheck(args);
      expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      noStack(r.stderr);
    }
  }, 90_000);

  it('verify prints the verdict of an authentic bundle, refuses a tampered one naming the file, and refuses what is no bundle', async () => {
    const dir = tmp();
    const { key, pub } = keyPair(dir);
    const good = (await syntheticBundle(path.join(dir, 'good'), key)).dir;
    const ok = await hubcheck(['verify', good, '--key', pub]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/signature\s+ok: key sha256:[0-9a-f]{64} \(pinned with --key\)/);
    expect(ok.stdout).toMatch(/CERTIFIED: synthetic hub, profile tencent-hub/);
    expect(ok.stdout).toMatch(/declared missing: rate-limits/);

    const refused = (await syntheticBundle(path.join(dir, 'refused'), key, { result: syntheticRun({ 'AUTH-003': 'fail' }) })).dir;
    const notCertified = await hubcheck(['verify', refused, '--key', pub]);
    expect(notCertified.code).toBe(4);
    expect(notCertified.stdout).toMatch(/NOT CERTIFIED \(the bundle is authentic\)[\s\S]*AUTH-003/);

    appendFileSync(path.join(good, 'certificate.html'), '<!-- edited -->');
    const tampered = await hubcheck(['verify', good, '--key', pub]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/REFUSED[\s\S]*changed file: certificate\.html/);

    const notBundle = await hubcheck(['verify', dir]);
    expect(notBundle.code).toBe(1);
    expect(notBundle.stderr).toMatch(/no attestation\.sigstore\.json; a bundle is the directory hubcheck certify --out wrote/);
    noStack(notBundle.stderr);
    writeFileSync(path.join(refused, 'attestation.sigstore.json'), '{"mediaType": ');
    const unreadable = await hubcheck(['verify', refused, '--key', pub]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/attestation\.sigstore\.json: not valid JSON/);
    noStack(unreadable.stderr);
    const wrongKey = await hubcheck(['verify', refused, '--key', path.join(dir, 'vendor.key.missing')]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/--key .*: cannot read it \(ENOENT\)/);
  }, 90_000);

  it('keygen writes a pair and never overwrites one', async () => {
    const prefix = path.join(tmp(), 'vendor');
    const made = await hubcheck(['keygen', '--out', prefix, '--type', 'ecdsa-p256']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/fingerprint: sha256:[0-9a-f]{64}/);
    const again = await hubcheck(['keygen', '--out', prefix]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/vendor\.key exists and a key is never overwritten/);
  }, 30_000);
});

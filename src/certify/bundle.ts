/**
 * Writes a certification bundle: the run's evidence (verdicts, JUnit, transcripts, probe findings, the redacted
 * descriptor), the hub's and the suite's identities, a certificate page and a badge, a manifest, and last the
 * Sigstore bundle that signs them all. Nothing secret goes in; nothing in it can change without verify noticing.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REQUIREMENTS, type Requirement } from '../../specs/requirements/index.js';
import { HubcheckError } from '../errors.js';
import type { RunResult } from '../report/model.js';
import { toJUnitXml } from '../report/junit.js';
import type { TargetDescriptor } from '../target/descriptor.js';
import type { HubIdentity } from '../target/identity.js';
import { badgeSvg } from './badge.js';
import { certificateHtml } from './certificate-html.js';
import { ATTESTATION_FILE, digestFile, listFiles, MANIFEST_FILE, PREDICATE_FILE, PUBLIC_KEY_FILE } from './files.js';
import type { SuiteIdentity } from './identity.js';
import { publicKeyPem, type SigningKey } from './keys.js';
import type { CertificationPredicate, RunSettings } from './predicate.js';
import { redactDescriptor, scrubber } from './redact.js';
import { PREDICATE_TYPE, signStatement, statementFor, type Subject } from './sign.js';
import { transcriptsOf } from './transcripts.js';
import { judge } from './verdict.js';

export const BUNDLE_FORMAT = 'hubcheck-certification-bundle/v1';

/** What each file of a bundle holds, for the manifest (transcripts are matched by folder). */
export const FILE_ROLES: Record<string, string> = {
  [PREDICATE_FILE]: 'the certification: result, reasons, hub and suite identities, run settings (the signed predicate)',
  'verdicts.json': 'one verdict per requirement of the catalogue',
  'results.json': 'the whole run: every test, its verdict, duration and evidence',
  'junit.xml': 'the run as JUnit XML',
  'probe.json': 'what the probe measured, and the claims it contradicted',
  'target.json': 'the target descriptor, secrets redacted',
  'certificate.html': 'the certificate page',
  'badge.svg': 'the badge',
  [PUBLIC_KEY_FILE]: 'the public key that signed the bundle (pin the vendor\'s own with verify --key)',
  'transcripts/failed/': 'wire transcript of a failed test',
  'transcripts/passed/': 'wire transcript of a sampled passing test',
};

export function roleOf(file: string): string {
  return FILE_ROLES[file] ?? Object.entries(FILE_ROLES).find(([k]) => k.endsWith('/') && file.startsWith(k))?.[1] ?? 'other';
}

export interface ManifestFile { path: string; sha256: string; bytes: number; role: string }
export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  predicateType: string;
  attestation: typeof ATTESTATION_FILE;
  signer: { type: string; fingerprint: string; publicKey: typeof PUBLIC_KEY_FILE };
  files: ManifestFile[];
}

export interface BundleInput {
  dir: string;
  result: RunResult;
  runErrors: readonly string[];
  /** The descriptor the run used (redacted here). */
  descriptor: TargetDescriptor;
  hub: HubIdentity;
  /** Secret values the runner knew (scrubbed from every text). */
  secrets: readonly string[];
  suite: SuiteIdentity;
  settings: RunSettings;
  profile: string;
  key: SigningKey;
  /** How the run was started, for the reproduce line (e.g. "--target hub.yaml"). */
  targetArgument?: string;
}

export interface WrittenBundle { dir: string; predicate: CertificationPredicate; files: ManifestFile[] }

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** A bundle is written into a new or empty directory only: a stray file there would be an extra file to verify. */
async function freshDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const present = await readdir(dir);
  if (present.length) throw new HubcheckError('BAD_OPTION', `--out ${dir}: not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); certify writes a new bundle into a new or empty directory`);
}

export function predicateFor(input: Omit<BundleInput, 'dir' | 'key' | 'secrets' | 'descriptor'>): CertificationPredicate {
  const { result, settings } = input;
  const judgement = judge(result, { profile: input.profile, runErrors: input.runErrors });
  const reproduce = `HUBCHECK_SEED=${settings.seed} HUBCHECK_RUNS_FACTOR=${settings.runsFactor} npx hubcheck run${input.targetArgument ? ` ${input.targetArgument}` : ''} --parallel ${settings.parallel}`;
  return {
    ...judgement,
    date: result.finishedAt,
    hub: input.hub,
    suite: input.suite,
    run: { ...settings, runId: result.runId, startedAt: result.startedAt, finishedAt: result.finishedAt, durationMs: result.summary.durationMs, reproduce },
    findings: result.findings ?? [],
  };
}

export async function writeBundle(input: BundleInput): Promise<WrittenBundle> {
  const { dir, result, key } = input;
  await freshDir(dir);
  const redacted = redactDescriptor(input.descriptor);
  const scrub = scrubber([...input.secrets, ...redacted.secrets]);
  // A process hub's command line or a reason quoting the hub's output may hold a secret too.
  const predicate = JSON.parse(scrub(JSON.stringify(predicateFor(input)))) as CertificationPredicate;
  const catalogue = REQUIREMENTS as Record<string, Requirement>;
  const verdicts = {
    profile: predicate.profile,
    requirements: (result.requirements ?? []).map((r) => ({ ...r, capability: catalogue[r.id]?.capability ?? '', title: catalogue[r.id]?.title ?? '' })),
  };
  const contents: [string, string][] = [
    [PREDICATE_FILE, json(predicate)],
    ['verdicts.json', json(verdicts)],
    ['results.json', scrub(json(result))],
    ['junit.xml', scrub(toJUnitXml(result))],
    ['probe.json', json({ probe: result.probe ?? null, findings: result.findings ?? [] })],
    ['target.json', json(redacted.descriptor)],
    ['certificate.html', certificateHtml(predicate, { fingerprint: key.fingerprint, type: key.type })],
    ['badge.svg', badgeSvg(predicate)],
    [PUBLIC_KEY_FILE, publicKeyPem(key.publicKey)],
    ...transcriptsOf(result.tests).map((t): [string, string] => [t.path, scrub(t.text)]),
  ];
  for (const [rel, text] of contents) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text, 'utf8');
  }
  // What is signed is what is on disk, listed the way verify lists it.
  const files = listFiles(dir).files.map((rel) => ({ path: rel, ...digestFile(dir, rel), role: roleOf(rel) }));
  const manifest: Manifest = {
    format: BUNDLE_FORMAT,
    createdAt: new Date().toISOString(),
    predicateType: PREDICATE_TYPE,
    attestation: ATTESTATION_FILE,
    signer: { type: key.type, fingerprint: `sha256:${key.fingerprint}`, publicKey: PUBLIC_KEY_FILE },
    files,
  };
  await writeFile(path.join(dir, MANIFEST_FILE), json(manifest), 'utf8');
  const subjects: Subject[] = [...files.map((f) => f.path), MANIFEST_FILE].sort().map((name) => ({ name, digest: { sha256: digestFile(dir, name).sha256 } }));
  const attestation = await signStatement(statementFor(subjects, predicate), key);
  await writeFile(path.join(dir, ATTESTATION_FILE), json(attestation), 'utf8');
  return { dir, predicate, files };
}

/** `hubcheck certify`, `hubcheck verify` and `hubcheck keygen`: a signed certification bundle, checked offline. */
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pc from 'picocolors';
import { PROFILES } from '../../specs/requirements/index.js';
import { writeBundle } from '../certify/bundle.js';
import { ownSuiteIdentity } from '../certify/identity.js';
import { generateKeyPair, KEY_TYPES, loadSigningKey, type KeyType } from '../certify/keys.js';
import type { RunSettings } from '../certify/predicate.js';
import { verifyBundle } from '../certify/verify.js';
import { HubcheckError } from '../errors.js';
import { formatSummary } from '../report/console.js';
import { newRunId } from '../report/write.js';
import { KNOBS } from '../runner/knobs.js';
import { DEFAULT_PARALLEL, MAX_PARALLEL, runConformance } from '../runner/run.js';
import { descriptorFor } from '../target/launch.js';

/**
 * Property cases at certification depth: twice each property's own number (the CI depth). Against the embedded hub
 * this keeps a certify near three minutes on two shared cores (197-205 s measured, against 110 s for a plain run);
 * HUBCHECK_RUNS_FACTOR sets another depth.
 */
export const CERTIFY_RUNS_FACTOR = 2;
/** About one passing test in ten keeps its wire transcript in the bundle. */
export const CERTIFY_PASS_TRANSCRIPTS = 10;

type Print = (line: string) => void;
const stdout: Print = (s) => process.stdout.write(`${s}\n`);

function wholeNumber(text: string, option: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) throw new HubcheckError('BAD_OPTION', `${option} takes a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return Number(text);
}

function settingsFrom(opts: { seed?: string; parallel?: string }): RunSettings {
  const seedText = opts.seed ?? process.env[KNOBS.seed];
  const factorText = process.env[KNOBS.runsFactor];
  const runsFactor = factorText === undefined ? CERTIFY_RUNS_FACTOR : Number(factorText);
  if (!Number.isFinite(runsFactor) || runsFactor <= 0) throw new HubcheckError('BAD_OPTION', `${KNOBS.runsFactor}=${factorText}: a factor above 0 is expected, e.g. 2`);
  return {
    // fast-check seeds are 32-bit integers
    seed: seedText === undefined ? randomInt(-(2 ** 31), 2 ** 31) : wholeNumber(seedText, opts.seed !== undefined ? '--seed' : KNOBS.seed, -(2 ** 31), 2 ** 31 - 1),
    runsFactor,
    passTranscripts: CERTIFY_PASS_TRANSCRIPTS,
    parallel: opts.parallel === undefined ? DEFAULT_PARALLEL : wholeNumber(opts.parallel, '--parallel', 1, MAX_PARALLEL),
  };
}

export interface CertifyCliOptions { target?: string; profile?: string; key?: string; out?: string; seed?: string; parallel?: string }

export async function certifyCommand(opts: CertifyCliOptions, print: Print = stdout): Promise<number> {
  // Everything that can be wrong with the options is refused before a run of minutes.
  if (!opts.key) throw new HubcheckError('KEY_INVALID', '--key: missing; certify signs the bundle with your private key: make a pair with hubcheck keygen --out vendor, then pass --key vendor.key');
  const key = loadSigningKey(opts.key);
  if (opts.profile !== undefined && !Object.hasOwn(PROFILES, opts.profile)) throw new HubcheckError('BAD_OPTION', `--profile ${JSON.stringify(opts.profile)}: use one of ${Object.keys(PROFILES).join(', ')}`);
  const descriptor = await descriptorFor(opts.target);
  if (opts.profile) descriptor.profile = opts.profile as keyof typeof PROFILES;
  const out = path.resolve(opts.out ?? path.join('reports', `certify-${newRunId()}`));
  if (existsSync(out) && readdirSync(out).length) throw new HubcheckError('BAD_OPTION', `--out ${out}: not empty; certify writes a new bundle into a new or empty directory`);
  const settings = settingsFrom(opts);

  print(`hubcheck certify: ${opts.target ? `target ${opts.target}` : 'embedded reference hub'}, profile ${descriptor.profile ?? 'tencent-hub'}, every suite, property cases x${settings.runsFactor}, seed ${settings.seed}`);
  const outcome = await runConformance({
    target: descriptor,
    noReports: true,
    parallel: settings.parallel,
    // HUBCHECK_NUM_RUNS would flatten every property to one number: the certification depth is the factor's.
    env: { [KNOBS.seed]: String(settings.seed), [KNOBS.runsFactor]: String(settings.runsFactor), [KNOBS.passTranscripts]: String(settings.passTranscripts), [KNOBS.numRuns]: '' },
    progress: { write: (s) => process.stdout.write(s) },
    log: print,
  });
  for (const e of outcome.runErrors) print(`${pc.red('run error')} ${e}`);
  print(formatSummary(outcome.result, { color: process.stdout.isTTY === true }));
  const written = await writeBundle({
    dir: out,
    result: outcome.result,
    runErrors: outcome.runErrors,
    descriptor,
    hub: outcome.hub ?? { name: outcome.result.target.name, launcher: descriptor.launcher },
    secrets: outcome.secrets ?? [],
    suite: ownSuiteIdentity(),
    settings,
    profile: descriptor.profile ?? 'tencent-hub',
    key,
    ...(opts.target ? { targetArgument: `--target ${opts.target}` } : {}),
  });
  const p = written.predicate;
  print('');
  if (p.result === 'certified') print(`${pc.green('CERTIFIED')} ${p.hub.name} for profile ${p.profile}: ${p.totals.required.passed}/${p.totals.required.total} required requirements passed`);
  else {
    print(`${pc.red('NOT CERTIFIED')} ${p.hub.name} for profile ${p.profile}:`);
    for (const r of p.reasons) print(`  - ${r}`);
  }
  if (p.capabilities.missing.length) print(`declared missing: ${p.capabilities.missing.join(', ')}`);
  if (p.warnings.length) print(`optional requirements failed (warnings): ${p.warnings.join(', ')}`);
  print(`bundle: ${out} (${written.files.length + 2} files, signed by ${key.type} key sha256:${key.fingerprint})`);
  print(`certificate: ${path.join(out, 'certificate.html')}`);
  const shown = path.relative(process.cwd(), out);
  print(`verify: npx hubcheck verify ${shown && !shown.startsWith('..') ? shown : out} --key ${opts.key.replace(/\.key$/, '.pub')}`);
  return p.result === 'certified' ? 0 : 1;
}

/** verify's exit code for a bundle that is authentic but whose hub was not certified. */
export const EXIT_NOT_CERTIFIED = 4;

export async function verifyCommand(bundle: string, opts: { key?: string; acceptOtherSuite?: boolean }, print: Print = stdout): Promise<number> {
  const v = await verifyBundle(bundle, { key: opts.key, acceptOtherSuite: opts.acceptOtherSuite });
  print(`hubcheck verify: ${bundle}`);
  if (!v.ok) {
    print(`${pc.red('REFUSED')}: this bundle is not what was signed, or not judged by this hubcheck's suite:`);
    for (const p of v.problems) print(`  - ${p.split('\n').join('\n    ')}`);
    for (const n of v.notes) print(`  note: ${n}`);
    return 1;
  }
  const p = v.predicate!;
  print(`  signature  ok: key sha256:${v.signer!.fingerprint}${v.signer!.pinned ? ' (pinned with --key)' : ' (NOT pinned: the bundle\'s own signer.pub)'}`);
  print('  files      ok: every file is as signed, none missing, none added');
  print(`  suite      hubcheck ${p.suite.hubcheckVersion}, ${p.suite.digest}${v.suite?.same ? ' (this hubcheck\'s own)' : ' (ANOTHER suite version, accepted)'}`);
  for (const n of v.notes) print(`  note: ${n}`);
  const where = `${p.hub.name}${p.hub.version ? ` ${p.hub.version}` : ''}${p.hub.image?.id ? ` [${p.hub.image.id}]` : ''}`;
  if (p.result === 'certified') {
    print(`${pc.green('CERTIFIED')}: ${where}, profile ${p.profile}, ${p.date}: ${p.totals.required.passed}/${p.totals.required.total} required requirements passed`);
    if (p.capabilities.missing.length) print(`  declared missing: ${p.capabilities.missing.join(', ')}`);
    return 0;
  }
  print(`${pc.red('NOT CERTIFIED')} (the bundle is authentic): ${where}, profile ${p.profile}, ${p.date}:`);
  for (const r of p.reasons) print(`  - ${r}`);
  return EXIT_NOT_CERTIFIED;
}

export async function keygenCommand(opts: { out?: string; type?: string }, print: Print = stdout): Promise<number> {
  const type = (opts.type ?? 'ed25519') as KeyType;
  if (!KEY_TYPES.includes(type)) throw new HubcheckError('BAD_OPTION', `--type ${JSON.stringify(opts.type)}: use ${KEY_TYPES.join(' or ')}`);
  const k = generateKeyPair(opts.out ?? 'hubcheck-signing', type);
  print(`private key: ${k.privateFile} (mode 0600: keep it secret; certify --key ${k.privateFile})`);
  print(`public key:  ${k.publicFile} (publish it; verify --key ${k.publicFile})`);
  print(`fingerprint: sha256:${k.fingerprint}`);
  return 0;
}

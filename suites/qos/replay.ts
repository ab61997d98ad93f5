/**
 * Replay files: a failing model run, shrunk to a minimal command sequence, saved as JSON with the seed, the
 * fast-check path, the commands as data and the target; and the step-by-step runner that both the suite and
 * `hubcheck replay` use (the command registry makes the replay execute the same code as the suite).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkCommand, describeCommand, parseCommand, runCommand, type CommandData } from './commands.js';
import { Model, TOPICS } from './model.js';
import { SYNC_TOPIC, type World } from './world.js';

export const REPLAY_VERSION = 1;

export interface ReplayFile {
  version: typeof REPLAY_VERSION;
  /** The test title. */
  test: string;
  /** fast-check seed and path of the counterexample (rerun with fc.check(..., { seed, path })). */
  seed: number;
  path: string;
  /** Why it failed (the first violation). */
  error: string;
  /** How many devices the sequence uses (d0 .. dN-1) and the topic classes they need. */
  devices: number;
  topicClasses: string[];
  target: { name: string; launcher: string; faults: string[] };
  /** The shrunk sequence, as data: each {kind, ...args}. */
  commands: CommandData[];
}

/** A file name from a test title: lowercase words joined by dashes. */
export function slug(title: string): string {
  return title.replace(/\[[^\]]*\]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'model';
}

/** Writes <dir>/<slug>[--<faults>].json; returns the path. */
export function writeReplay(dir: string, file: ReplayFile): string {
  mkdirSync(dir, { recursive: true });
  const suffix = file.target.faults.length ? `--${file.target.faults.join('+')}` : '';
  const out = path.join(dir, `${slug(file.test)}${suffix}.json`);
  writeFileSync(out, `${JSON.stringify(file, null, 2)}\n`);
  return out;
}

/** Reads and checks a replay file; every problem names the field. */
export function readReplay(file: string): ReplayFile {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not a readable JSON file: ${(e as Error).message}`);
  }
  if (!data || typeof data !== 'object') throw new Error(`${file}: expected a JSON object`);
  if (data.version !== REPLAY_VERSION) throw new Error(`${file}: version: expected ${REPLAY_VERSION}`);
  if (!Number.isInteger(data.devices) || (data.devices as number) < 1 || (data.devices as number) > 16) throw new Error(`${file}: devices: expected an integer from 1 to 16`);
  if (!Array.isArray(data.commands) || data.commands.length === 0) throw new Error(`${file}: commands: expected a non-empty array of {kind, ...}`);
  const commands = data.commands.map((c, i) => parseCommand(c, `${file}: commands[${i}]`));
  for (const [i, c] of commands.entries()) {
    if ('d' in c && c.d >= (data.devices as number)) throw new Error(`${file}: commands[${i}].d: device ${c.d} but the file declares ${String(data.devices)} devices`);
  }
  const target = (data.target ?? {}) as ReplayFile['target'];
  if (!Array.isArray(target.faults ?? [])) throw new Error(`${file}: target.faults: expected an array of fault names`);
  return {
    version: REPLAY_VERSION,
    test: String(data.test ?? ''),
    seed: Number(data.seed ?? 0),
    path: String(data.path ?? ''),
    error: String(data.error ?? ''),
    devices: data.devices as number,
    topicClasses: Array.isArray(data.topicClasses) ? (data.topicClasses as string[]) : [...TOPICS, SYNC_TOPIC],
    target: { name: String(target.name ?? ''), launcher: String(target.launcher ?? 'embedded'), faults: (target.faults ?? []) as string[] },
    commands,
  };
}

export interface StepObserver {
  before?(index: number, command: CommandData, text: string): void;
  after?(index: number, command: CommandData, error?: Error): void;
}

/** Runs a sequence from a reset hub state, step by step; throws the first failure (prefixed with the step). */
export async function runSequence(world: World, devices: number, run: string, commands: readonly CommandData[], observer: StepObserver = {}): Promise<void> {
  const model = new Model(devices, run);
  await world.reset();
  for (const [i, c] of commands.entries()) {
    observer.before?.(i, c, describeCommand(c));
    try {
      if (!checkCommand(model, c)) {
        observer.after?.(i, c);
        continue; // not applicable in this state (as fast-check would skip it)
      }
      await runCommand(world, model, c);
      observer.after?.(i, c);
    } catch (e) {
      observer.after?.(i, c, e as Error);
      throw new Error(`step ${i + 1} (${describeCommand(c)}): ${(e as Error).message}`);
    }
  }
}

// Runs a compose file's services with plain `docker run`, for engines whose CLI has no `docker compose` (Debian's
// docker.io, the private engine of .ci/run). It reads the file as compose does for the subset this project's compose
// files use: `${VAR:-default}` and `$$`, YAML merge keys, image, entrypoint, command, environment, volumes (named or a
// bind path relative to the file), network_mode: host, init, depends_on with service_completed_successfully and
// service_healthy (a CMD healthcheck run with `docker exec`). Anything else in a service is refused, so a file that
// grows a feature this runner ignores fails here instead of running differently.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);

export interface ComposeService {
  image: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  network_mode?: string;
  init?: boolean;
  depends_on?: Record<string, { condition: 'service_completed_successfully' | 'service_healthy' | 'service_started' }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
}
export interface ComposeFile { name?: string; services: Record<string, ComposeService>; volumes?: Record<string, unknown> }

const KNOWN = new Set(['image', 'entrypoint', 'command', 'environment', 'volumes', 'network_mode', 'init', 'depends_on', 'healthcheck']);

/** Compose's interpolation: `${VAR}`, `${VAR:-default}` and `$$` (a literal `$`), from `env`. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, name: string | undefined, dflt: string | undefined) => {
    if (whole === '$$') return '$';
    const v = env[name!];
    return v !== undefined && v !== '' ? v : (dflt ?? '');
  });
}

/** Parses a compose file after interpolation; refuses service keys this runner does not carry out. */
export function readCompose(file: string, env: Record<string, string | undefined> = process.env): ComposeFile {
  const doc = parse(interpolate(readFileSync(file, 'utf8'), env), { merge: true }) as ComposeFile;
  for (const [name, svc] of Object.entries(doc.services)) {
    const unknown = Object.keys(svc).filter((k) => !KNOWN.has(k) && k !== '<<');
    if (unknown.length) throw new Error(`${file}: service ${name}: ${unknown.join(', ')} not carried out by test/docker/compose-runner.ts; add it there`);
  }
  return doc;
}

/** Services in an order where each comes after everything it depends on. */
export function startOrder(doc: ComposeFile): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) throw new Error(`depends_on cycle through ${name}`);
    if (!doc.services[name]) throw new Error(`depends_on names ${name}, which is not a service`);
    visiting.add(name);
    for (const dep of Object.keys(doc.services[name]!.depends_on ?? {})) visit(dep);
    visiting.delete(name);
    order.push(name);
  };
  for (const name of Object.keys(doc.services)) visit(name);
  return order;
}

const seconds = (s: string | undefined, dflt: number) => (s ? Number(/^(\d+(?:\.\d+)?)s$/.exec(s)?.[1] ?? dflt) : dflt);

export interface ComposeRun {
  /** The container of each service started so far. */
  containers: Map<string, string>;
  /** Named volume → the engine's volume name. */
  volumes: Map<string, string>;
  /** Removes every container and volume this run made. */
  down(): void;
  logs(service: string): string;
}

/**
 * Starts the services in dependency order, as `docker compose up` would, waiting for each dependency's condition.
 * Resolves with the exit code of `waitFor` once it has exited; throws with the logs of a dependency that failed.
 */
export async function composeUp(file: string, doc: ComposeFile, o: { project: string; label: string; waitFor: string; deadlineMs: number }): Promise<{ run: ComposeRun; exitCode: number }> {
  const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).trim();
  const end = Date.now() + o.deadlineMs;
  const left = () => Math.max(1000, end - Date.now());
  const containers = new Map<string, string>();
  const volumes = new Map<string, string>();
  const crun: ComposeRun = {
    containers, volumes,
    logs: (service) => {
      const id = containers.get(service);
      if (!id) return '(not started)';
      const r = spawnSync('docker', ['logs', id], { encoding: 'utf8', timeout: 30_000 });
      return `${r.stdout}${r.stderr}`;
    },
    down: () => {
      for (const id of containers.values()) try { docker('rm', '-f', id); } catch { /* already gone */ }
      for (const v of volumes.values()) try { docker('volume', 'rm', '-f', v); } catch { /* already gone */ }
    },
  };
  for (const name of Object.keys(doc.volumes ?? {})) {
    const v = `${o.project}_${name}`;
    docker('volume', 'create', '--label', o.label, v);
    volumes.set(name, v);
  }
  const exited = new Map<string, Promise<number>>();
  const failure = (service: string, why: string) => new Error(`${service} ${why}; its output:\n${crun.logs(service).slice(-4000)}`);
  try {
    for (const name of startOrder(doc)) {
      const svc = doc.services[name]!;
      for (const [dep, { condition }] of Object.entries(svc.depends_on ?? {})) {
        if (condition === 'service_completed_successfully') {
          const code = await Promise.race([exited.get(dep)!, new Promise<number>((_, rej) => setTimeout(() => rej(failure(dep, `did not exit within the deadline (${name} waits for it)`)), left()))]);
          if (code !== 0) throw failure(dep, `exited ${code} (${name} needs it to complete successfully)`);
        } else if (condition === 'service_healthy') {
          await healthy(dep, doc.services[dep]!, containers.get(dep)!, end, failure);
        }
      }
      const args = ['run', '-d', '--name', `${o.project}-${name}`, '--label', o.label];
      if (svc.network_mode) args.push('--network', svc.network_mode);
      if (svc.init) args.push('--init');
      for (const [k, v] of Object.entries(svc.environment ?? {})) args.push('-e', `${k}=${v}`);
      for (const spec of svc.volumes ?? []) {
        const [src, ...rest] = spec.split(':');
        const source = volumes.get(src!) ?? (src!.startsWith('.') || src!.startsWith('/') ? path.resolve(path.dirname(file), src!) : undefined);
        if (!source) throw new Error(`service ${name}: volume ${src} is neither a declared volume nor a path`);
        args.push('-v', [source, ...rest].join(':'));
      }
      const [entry, ...entryArgs] = svc.entrypoint ?? [];
      if (entry) args.push('--entrypoint', entry);
      args.push(svc.image, ...entryArgs, ...(svc.command ?? []));
      const id = docker(...args);
      containers.set(name, id);
      exited.set(name, run('docker', ['wait', id], { timeout: o.deadlineMs }).then((r) => Number(r.stdout.trim())));
      exited.get(name)!.catch(() => {}); // observed when a dependant waits for it
    }
    const code = await Promise.race([exited.get(o.waitFor)!, new Promise<number>((_, rej) => setTimeout(() => rej(failure(o.waitFor, 'did not exit within the deadline')), left()))]);
    return { run: crun, exitCode: code };
  } catch (e) {
    const err = e as Error;
    (err as Error & { composeRun?: ComposeRun }).composeRun = crun;
    throw err;
  }
}

/** Runs the service's CMD healthcheck in its container until it passes (interval, retries), or the container exits. */
async function healthy(name: string, svc: ComposeService, id: string, end: number, failure: (s: string, why: string) => Error): Promise<void> {
  const hc = svc.healthcheck;
  if (!hc || hc.test[0] !== 'CMD') throw new Error(`service ${name}: service_healthy needs a healthcheck with a CMD test`);
  const interval = seconds(hc.interval, 30) * 1000;
  const retries = hc.retries ?? 3;
  for (let attempt = 0; attempt <= retries && Date.now() < end; attempt++) {
    const state = execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', id], { encoding: 'utf8' }).trim();
    if (state !== 'true') throw failure(name, 'exited before it was healthy');
    try {
      await run('docker', ['exec', id, ...hc.test.slice(1)], { timeout: seconds(hc.timeout, 30) * 1000 });
      return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw failure(name, `was not healthy after ${retries} retries`);
}

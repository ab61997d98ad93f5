/**
 * The container launcher: runs the hub's image with testcontainers@11, waits for its log line or
 * ports, captures its output, and always removes the container, whether the run passed, failed or
 * never got going. Ryuk (the reaper) is off because its image cannot be pulled offline.
 */
import { randomBytes } from 'node:crypto';
import { HubcheckError } from '../errors.js';
import type { TargetDescriptor } from './descriptor.js';
import { resolveDescribed, type Endpoints } from './described.js';
import type { HubIdentity } from './identity.js';
import type { LaunchedTarget } from './launch.js';
import { OutputLines } from './output.js';
import { describeReady, waitReady } from './ready.js';

const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** Label on every container hubcheck starts, so a leftover can be found: docker ps -a --filter label=hubcheck.launch */
export const LAUNCH_LABEL = 'hubcheck.launch';

/** testcontainers settings that work without a registry and inside a container (notes: containers.md). */
function configureTestcontainers(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // A /.dockerenv makes testcontainers look for a bridge gateway; the engine's ports are on loopback here.
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

const portOf = (url: string): number => Number(new URL(url).port);

export async function launchContainer(d: TargetDescriptor): Promise<LaunchedTarget> {
  configureTestcontainers();
  const spec = d.container!; // the schema requires it for launcher: container
  const declared = d.endpoints as Endpoints;
  const host = spec.network === 'host';
  const ports = [...new Set(Object.values(declared).filter((u): u is string => typeof u === 'string' && u.length > 0).map(portOf))];
  const output = new OutputLines();
  const launchId = randomBytes(6).toString('hex');
  let tc: typeof import('testcontainers');
  try {
    tc = await import('testcontainers');
  } catch (e) {
    throw new HubcheckError('HUB_START', `launcher container: testcontainers could not load: ${(e as Error).message}`);
  }
  let container = new tc.GenericContainer(spec.image)
    .withEnvironment(spec.env ?? {})
    .withLabels({ [LAUNCH_LABEL]: launchId })
    .withPullPolicy({ shouldPull: () => false })
    .withLogConsumer((stream) => {
      stream.on('data', (line: string | Buffer) => output.feed(line.toString().endsWith('\n') ? line : `${line}\n`));
      stream.on('err', (line: string | Buffer) => output.feed(`${line}\n`, 'stderr'));
    })
    .withStartupTimeout(spec.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  if (spec.command) container = container.withCommand(spec.command);
  // Readable by the image's non-root user.
  if (spec.files) container = container.withCopyContentToContainer(Object.entries(spec.files).map(([target, content]) => ({ target, content, mode: 0o644 })));
  if (host) container = container.withNetworkMode('host');
  else container = container.withExposedPorts(...ports);
  // A log line is waited for by testcontainers; otherwise published ports are (bridge), or hubcheck
  // checks the port itself (host network: nothing is published, so testcontainers cannot).
  if (spec.ready?.log !== undefined) container = container.withWaitStrategy(tc.Wait.forLogMessage(new RegExp(spec.ready.log)));
  const hostPort = host && spec.ready?.log === undefined ? spec.ready?.port ?? portOf(declared.mqtt) : spec.ready?.port;
  let started: import('testcontainers').StartedTestContainer | undefined;
  try {
    started = await container.start();
    if (host && hostPort !== undefined) {
      await waitReady({ ready: { port: hostPort }, output, exited: watchExit(started, () => false), timeoutMs: spec.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS });
    }
  } catch (e) {
    await removeLeftovers(tc, launchId, started);
    const tail = output.tail(20);
    throw new HubcheckError('HUB_START', `container.image ${spec.image}: ${oneLine(e)}${tail.length ? `; its last output:\n  ${tail.join('\n  ')}` : ''}`);
  }
  const running = started;
  const endpoints: Endpoints = host ? declared : remap(declared, (p) => running.getMappedPort(p), running.getHost());
  output.push(`[hubcheck] container ${running.getId().slice(0, 12)} of ${spec.image} ready (${spec.ready ? describeReady(spec.ready) : 'ports open'})`);

  let stopping = false;
  const exited = watchExit(running, () => stopping);
  const target = resolveDescribed(d, 'container', endpoints, `${spec.image} (container)`);
  return {
    target,
    identity: await imageIdentity(tc, running, spec.image, target.name),
    stop: async () => {
      stopping = true;
      await removeLeftovers(tc, launchId, running);
    },
    exited,
    output: (n?: number) => output.tail(n),
  };
}

/**
 * The image the container runs: its id (the sha256 of its configuration, which names every layer) and the registry
 * digests the engine knows for it, with the version from its OCI label. Best effort: what the engine will not say is
 * a note, never a reason to stop the run.
 */
async function imageIdentity(tc: typeof import('testcontainers'), c: import('testcontainers').StartedTestContainer, ref: string, name: string): Promise<HubIdentity> {
  const identity: HubIdentity = { name, launcher: 'container', image: { ref } };
  try {
    const client = await tc.getContainerRuntimeClient();
    const info = await client.container.inspect(client.container.getById(c.getId()));
    identity.image!.id = info.Image;
    const version = info.Config.Labels?.['org.opencontainers.image.version'];
    if (version) identity.version = version;
    const image = await client.image.inspect(tc.ImageName.fromString(ref));
    if (image.RepoDigests?.length) identity.image!.repoDigests = [...image.RepoDigests].sort();
  } catch (e) {
    identity.notes = [`the engine did not describe the image: ${oneLine(e)}`];
  }
  return identity;
}

/** Rewrites each endpoint's port to the host port the engine published it on. */
function remap(e: Endpoints, mapped: (p: number) => number, host: string): Endpoints {
  const out: Endpoints = { mqtt: '' };
  for (const [k, v] of Object.entries(e) as [keyof Endpoints, string | undefined][]) {
    if (!v) continue;
    const u = new URL(v);
    u.hostname = host;
    u.port = String(mapped(Number(u.port)));
    // URL adds a trailing slash to bare origins; keep the form the user wrote.
    out[k] = v.endsWith('/') || u.pathname !== '/' ? u.toString() : u.toString().replace(/\/$/, '');
  }
  return out;
}

/** Resolves with a reason when the container stops on its own (polled every 500 ms through the engine). */
function watchExit(c: import('testcontainers').StartedTestContainer, stopping: () => boolean): Promise<string> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (stopping()) { clearInterval(timer); return; }
      void (async () => {
        const { getContainerRuntimeClient } = await import('testcontainers');
        const client = await getContainerRuntimeClient();
        const info = await client.container.inspect(client.container.getById(c.getId()));
        if (!info.State.Running && !stopping()) {
          clearInterval(timer);
          resolve(`the container exited with code ${info.State.ExitCode}${info.State.OOMKilled ? ' (out of memory)' : ''}`);
        }
      })().catch((e: unknown) => {
        if (stopping()) return;
        clearInterval(timer);
        resolve(`the container is gone: ${oneLine(e)}`);
      });
    }, 500);
    timer.unref();
  });
}

/** Stops and removes the container, and anything else carrying this launch's label. */
async function removeLeftovers(tc: typeof import('testcontainers'), launchId: string, started?: import('testcontainers').StartedTestContainer): Promise<void> {
  if (started) await started.stop({ timeout: 5000, remove: true }).catch(() => {});
  try {
    const client = await tc.getContainerRuntimeClient();
    // Bounded: one launch creates one container; a few rounds cover a retry inside testcontainers.
    for (let round = 0; round < 3; round++) {
      const c = await client.container.fetchByLabel(LAUNCH_LABEL, launchId, { status: ['created', 'restarting', 'running', 'paused', 'exited', 'dead'] });
      if (!c) break;
      await client.container.stop(c, { timeout: 0 }).catch(() => {});
      await client.container.remove(c, { removeVolumes: true }).catch(() => {});
    }
  } catch {
    // The engine itself is gone: nothing left to remove from it.
  }
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

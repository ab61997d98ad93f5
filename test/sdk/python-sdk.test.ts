// The official Python device SDK (tencent-iot-device 1.0.0), unmodified, against the reference hub: the recipe of
// docs/official-sdks.md run for real. In a network + mount + PID namespace of its own (own loopback, so ports 80 and 1883
// are free; own /etc/hosts, bind-mounted from the temp dir), python-sdk/orchestrate.ts starts the hub on the SDK's ports,
// provisions through the cloud API and runs python-sdk/driver.py, which uses only the SDK's public API. Every flow it
// completes is one line; this test asserts each expected flow arrived and was ok.
//
// Needs root (or a user namespace) for unshare, iproute2's ip, and a Python that imports the SDK: HUBCHECK_PYTHON, else
// the venv that `npm run sdk:python` (test/sdk/python-sdk/setup-venv.sh) makes in .cache/python-sdk, else python3.
// Skipped with the reason when one is missing, except with CI=true, where it fails with the reason instead.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MARK = '@@ ';
/** The whole run: the hub, provisioning and the three driver roles (about 8 s on a quiet machine). */
const RUN_DEADLINE_MS = 80_000;

/** Every flow the run must report ok; a flow missing from the output fails like a failed one. */
const EXPECTED_FLOWS = [
  'login', 'subscribe-publish', 'ntp', 'shadow-get', 'shadow-update', 'remote-config', 'rrpc', 'rrpc-cloud', 'broadcast',
  'ota-report-version', 'ota-update-firmware', 'ota-download', 'ota-report-done', 'ota-task-status',
  'dynreg', 'dynreg-login', 'dynreg-cloud',
  'gateway-login', 'gateway-subdev-online', 'gateway-subdev-publish', 'gateway-subdev-offline', 'gateway-bind', 'gateway-bind-list', 'gateway-unbind',
] as const;

function pythonPath(): string {
  if (process.env.HUBCHECK_PYTHON) return process.env.HUBCHECK_PYTHON;
  const venv = join(ROOT, '.cache/python-sdk/bin/python');
  return existsSync(venv) ? venv : 'python3';
}

const NS_ARGS = ['--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc'];

/** Why the test cannot run here, or undefined when it can. */
function missing(python: string): string | undefined {
  const sdk = spawnSync(python, ['-c', 'import hub.hub, paho.mqtt, Crypto.Cipher.AES'], { encoding: 'utf8', timeout: 15_000 });
  if (sdk.status !== 0) {
    return `${python} cannot import the Python SDK (${(sdk.stderr || sdk.error?.message || '').trim().split('\n').pop()}); run npm run sdk:python, or set HUBCHECK_PYTHON`;
  }
  const ns = spawnSync('unshare', [...NS_ARGS, 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8', timeout: 15_000 });
  if (ns.status !== 0) return `unshare ${NS_ARGS.join(' ')} with ip link set lo up failed (${(ns.stderr || ns.error?.message || '').trim()}); it needs root and iproute2`;
  return undefined;
}

const python = pythonPath();
const reason = missing(python);
const inCi = process.env.CI === 'true';
const title = 'the official Python SDK completes its flows against the reference hub';

type Flow = { flow: string; ok: boolean; detail: string };

/** Runs the orchestrator in its namespace; resolves with the flows it printed and the tail of its other output. */
function runInNamespace(dir: string): Promise<{ flows: Flow[]; log: string }> {
  // The hosts file starts with localhost only; the orchestrator rewrites it in place once the product ids exist.
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n::1 localhost\n');
  const script = 'ip link set lo up && mount --bind "$1/hosts" /etc/hosts && exec node --import tsx test/sdk/python-sdk/orchestrate.ts "$1" "$2"';
  const child = spawn('unshare', [...NS_ARGS, 'sh', '-c', script, 'sh', dir, python], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const flows: Flow[] = [];
  let log = '';
  child.stderr.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith(MARK)) flows.push(JSON.parse(line.slice(MARK.length)) as Flow);
    else log = (log + line + '\n').slice(-4000);
  });
  return new Promise((resolve) => {
    // --kill-child: ending unshare ends the namespace's first process, and with it every process in the namespace
    const timer = setTimeout(() => {
      log += `\n(stopped after ${RUN_DEADLINE_MS} ms)`;
      child.kill('SIGKILL');
    }, RUN_DEADLINE_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) log += `\n(exit ${code})`;
      resolve({ flows, log });
    });
  });
}

describe.skipIf(reason !== undefined && !inCi)(reason === undefined || inCi ? 'Python device SDK' : `Python device SDK (skipped: ${reason})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubcheck-pysdk-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test(title, async () => {
    if (reason) throw new Error(`CI=true requires this test: ${reason}`);
    const { flows, log } = await runInNamespace(dir);
    const byName = new Map(flows.map((f) => [f.flow, f]));
    const problems = [
      ...flows.filter((f) => !f.ok).map((f) => `${f.flow}: ${f.detail}`),
      ...EXPECTED_FLOWS.filter((name) => !byName.has(name)).map((name) => `${name}: never reported`),
    ];
    expect(problems, `${problems.join('\n')}\n--- output ---\n${log}`).toEqual([]);
  }, RUN_DEADLINE_MS + 10_000);
});

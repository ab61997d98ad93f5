// Standalone entry of the reference hub (`hubcheck hub`): parses flags and HUB_* variables, starts the hub, stops on SIGINT/SIGTERM.

import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describeFaults, startHub, type HubOptions } from './index.js';
import { isFaultName } from './faults.js';

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the hub should stop; defaults to the first SIGINT or SIGTERM. */
  stopSignal?: Promise<unknown>;
}

class UsageError extends Error {}

const USAGE = `usage: hubcheck hub [options]
  --host HOST          listen address (default 127.0.0.1; env HUB_HOST)
  --mqtt-port N        MQTT over TCP (default 1883; env HUB_MQTT_PORT)
  --ws-port N          MQTT over WebSocket at /mqtt (default 8080; env HUB_WS_PORT)
  --api-port N         cloud API over HTTP (default 8081; env HUB_API_PORT)
  --data FILE          SQLite registry file (default: in memory; env HUB_DATA)
  --secret-id ID       cloud API SecretId (default: generated; env HUB_SECRET_ID)
  --secret-key KEY     cloud API SecretKey (default: generated; env HUB_SECRET_KEY)
  --fault NAME         break one behaviour on purpose; repeatable (env HUB_FAULTS, comma-separated)
  --target-file FILE   write a hubcheck target descriptor for this hub (for hubcheck run --target FILE)
  --verbose            log every refusal and connection
faults:
${describeFaults()}`;

function port(flag: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535 (got "${value}")`);
  return Number(value);
}

/** Turns argv and HUB_* variables into HubOptions (flags win over the environment). */
export function parseHubArgs(argv: readonly string[], env: NodeJS.ProcessEnv): { options: HubOptions; help: boolean; verbose: boolean; targetFile?: string } {
  const options: HubOptions = {
    host: env['HUB_HOST'] || '127.0.0.1',
    mqttPort: env['HUB_MQTT_PORT'] ? port('HUB_MQTT_PORT', env['HUB_MQTT_PORT']) : 1883,
    wsPort: env['HUB_WS_PORT'] ? port('HUB_WS_PORT', env['HUB_WS_PORT']) : 8080,
    apiPort: env['HUB_API_PORT'] ? port('HUB_API_PORT', env['HUB_API_PORT']) : 8081,
  };
  if (env['HUB_DATA']) options.dataFile = env['HUB_DATA'];
  if (env['HUB_SECRET_ID']) options.secretId = env['HUB_SECRET_ID'];
  if (env['HUB_SECRET_KEY']) options.secretKey = env['HUB_SECRET_KEY'];
  const faults = (env['HUB_FAULTS'] ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  let help = false;
  let verbose = false;
  let targetFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value, e.g. ${flag} ${flag === '--fault' ? 'grant-qos2' : '...'}`);
      i++;
      return next;
    };
    switch (flag) {
      case '--host': options.host = value(); break;
      case '--mqtt-port': options.mqttPort = port(flag, value()); break;
      case '--ws-port': options.wsPort = port(flag, value()); break;
      case '--api-port': options.apiPort = port(flag, value()); break;
      case '--data': options.dataFile = value(); break;
      case '--secret-id': options.secretId = value(); break;
      case '--secret-key': options.secretKey = value(); break;
      case '--fault': faults.push(value()); break;
      case '--verbose': verbose = true; break;
      case '--target-file': targetFile = value(); break;
      case '--help': case '-h': help = true; break;
      default: throw new UsageError(`unknown option ${arg}; run with --help to see the options`);
    }
  }
  for (const f of faults) {
    if (!isFaultName(f)) throw new UsageError(`--fault ${f} is not a fault; use one of: ${describeFaults().split('\n').map((l) => l.trim().split(/\s+/)[0]).join(', ')}`);
  }
  if ((options.secretId === undefined) !== (options.secretKey === undefined)) {
    throw new UsageError('--secret-id and --secret-key must be given together (or neither, to generate them)');
  }
  options.faults = faults;
  return { options, help, verbose, ...(targetFile !== undefined ? { targetFile } : {}) };
}

/** A target descriptor (YAML) describing this running hub as an external target. */
export function targetDescriptor(hub: { endpoints: { mqtt: string; ws: string; api: string }; credentials: { secretId: string; secretKey: string }; faults: string[] }): string {
  return [
    `name: ${JSON.stringify(`reference hub${hub.faults.length ? ` (faults: ${hub.faults.join(', ')})` : ''}`)}`,
    'launcher: external',
    'endpoints:',
    `  mqtt: ${hub.endpoints.mqtt}`,
    `  ws: ${hub.endpoints.ws}`,
    `  api: ${hub.endpoints.api}`,
    'cloudApi:',
    `  secretId: ${JSON.stringify(hub.credentials.secretId)}`,
    `  secretKey: ${JSON.stringify(hub.credentials.secretKey)}`,
    '',
  ].join('\n');
}

function signals(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Runs the hub until stopped; resolves to the process exit code (this function never calls process.exit). */
export async function runHubCli(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const out = io.stdout ?? ((l: string) => process.stdout.write(l + '\n'));
  const err = io.stderr ?? ((l: string) => process.stderr.write(l + '\n'));
  let parsed: ReturnType<typeof parseHubArgs>;
  try {
    parsed = parseHubArgs(argv, io.env ?? process.env);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`hubcheck hub: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    out(USAGE);
    return 0;
  }
  const stop = io.stopSignal ?? signals();
  let hub;
  try {
    hub = await startHub({ ...parsed.options, ...(parsed.verbose ? { log: (l: string) => err(l) } : {}) });
  } catch (e) {
    err(`hubcheck hub: ${(e as Error).message}`);
    return 1;
  }
  out(`reference hub running (faults: ${hub.faults.join(', ') || 'none'})`);
  out(`  MQTT       ${hub.endpoints.mqtt}`);
  out(`  WebSocket  ${hub.endpoints.ws}`);
  out(`  cloud API  ${hub.endpoints.api}  (iotcloud 2018-06-14, TC3-HMAC-SHA256)`);
  out(`  SecretId   ${hub.credentials.secretId}`);
  out(`  SecretKey  ${hub.credentials.secretKey}`);
  if (parsed.targetFile) {
    try {
      writeFileSync(parsed.targetFile, targetDescriptor(hub));
      out(`  target descriptor written to ${parsed.targetFile}`);
    } catch (e) {
      err(`hubcheck hub: cannot write --target-file ${parsed.targetFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      await hub.close();
      return 1;
    }
  }
  out('press Ctrl-C to stop');
  await stop;
  await hub.close();
  out('reference hub stopped');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runHubCli(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`hubcheck hub: ${(e as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

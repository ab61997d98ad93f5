// The standalone entry runHubCli: flag parsing, one-line errors, printed endpoints and a clean stop.

import { describe, expect, test } from 'vitest';
import { parseHubArgs, runHubCli } from '../../hub/main.js';

function io(stop?: Promise<unknown>) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), env: {}, ...(stop ? { stopSignal: stop } : {}) } };
}

describe('runHubCli', () => {
  test.each([
    [['--mqtt-port', 'abc'], /--mqtt-port must be a port number/],
    [['--api-port', '70000'], /--api-port must be a port number/],
    [['--fault', 'nope'], /--fault nope is not a fault; use one of: accept-bad-signature/],
    [['--fault'], /--fault needs a value/],
    [['--secret-id', 'x'], /--secret-id and --secret-key must be given together/],
    [['--bogus'], /unknown option --bogus/],
  ])('%j -> exit 2 and a one-line error', async (argv, message) => {
    const t = io();
    expect(await runHubCli(argv as string[], t.io)).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(message);
    expect(t.err[0]).not.toMatch(/\n\s+at /);
  });

  test('defaults, env and flags', () => {
    expect(parseHubArgs([], {}).options).toMatchObject({ host: '127.0.0.1', mqttPort: 1883, wsPort: 8080, apiPort: 8081, faults: [] });
    const p = parseHubArgs(['--mqtt-port=0', '--fault', 'grant-qos2'], { HUB_WS_PORT: '9', HUB_FAULTS: 'ignore-expiry', HUB_DATA: '/tmp/x.db' });
    expect(p.options).toMatchObject({ mqttPort: 0, wsPort: 9, dataFile: '/tmp/x.db', faults: ['ignore-expiry', 'grant-qos2'] });
  });

  test('resource bounds and API rates from flags and env; bad values name the flag', () => {
    const p = parseHubArgs(['--max-connections-per-address', '64', '--connect-deadline=1500', '--max-subscriptions', '10', '--api-rate', 'CreateDevice=5', '--api-rate', 'PublishMessage=0.5'], { HUB_MAX_CONNECTIONS: '100' });
    expect(p.options).toMatchObject({ maxConnections: 100, maxConnectionsPerAddress: 64, connectDeadlineMs: 1500, maxSubscriptionsPerDevice: 10, apiRates: { CreateDevice: 5, PublishMessage: 0.5 } });
    expect(parseHubArgs(['--api-rate', 'none'], {}).options.apiRates).toEqual({});
    expect(parseHubArgs([], { HUB_API_RATES: 'CreateProduct=3, PublishRRPCMessage=4' }).options.apiRates).toEqual({ CreateProduct: 3, PublishRRPCMessage: 4 });
    expect(() => parseHubArgs(['--api-rate', 'createDevice=5'], {})).toThrow(/--api-rate createDevice=5: expected ACTION=N/);
    expect(() => parseHubArgs(['--max-subscriptions', '0'], {})).toThrow(/--max-subscriptions must be a whole number from 1/);
  });

  test('--workers N needs --redis, and N is 1 to 64', () => {
    expect(parseHubArgs(['--workers', '3', '--redis', 'redis://127.0.0.1:6379/2'], {}).workers).toBe(3);
    expect(parseHubArgs([], { HUB_WORKERS: '2', HUB_REDIS: 'redis://127.0.0.1:6379/0' }).workers).toBe(2);
    expect(parseHubArgs([], {}).workers).toBe(1);
    expect(() => parseHubArgs(['--workers', '2'], {})).toThrow(/--workers 2 needs --redis URL: the workers share persistent sessions and message routing through Redis/);
    expect(() => parseHubArgs(['--workers', '0', '--redis', 'redis://x'], {})).toThrow(/--workers must be a number of worker processes from 1 to 64 \(got "0"\)/);
    expect(() => parseHubArgs(['--workers', '65', '--redis', 'redis://x'], {})).toThrow(/from 1 to 64/);
  });

  test('--cluster-worker NAME joins a cluster of separately started hubs, with --redis and --data', () => {
    const p = parseHubArgs(['--cluster-worker', 'hub-1', '--redis', 'redis://redis:6379/0', '--data', '/data/registry.sqlite'], {});
    expect(p.options.cluster).toEqual({ workerId: 'hub-1' });
    expect(parseHubArgs([], { HUB_CLUSTER_WORKER: 'c0ffee', HUB_REDIS: 'redis://r/0', HUB_DATA: '/d/r.db' }).options.cluster).toEqual({ workerId: 'c0ffee' });
    expect(() => parseHubArgs(['--cluster-worker', 'hub-1', '--redis', 'redis://r/0'], {})).toThrow(/needs --redis URL and --data FILE/);
    expect(() => parseHubArgs(['--cluster-worker', 'a b', '--redis', 'redis://r/0', '--data', 'x'], {})).toThrow(/--cluster-worker must be 1-64 letters/);
    expect(() => parseHubArgs(['--cluster-worker', 'w', '--workers', '2', '--redis', 'redis://r/0', '--data', 'x'], {})).toThrow(/do not go together/);
  });

  test('starts, prints endpoints and credentials, stops when told', async () => {
    let stop!: () => void;
    const t = io(new Promise<void>((r) => (stop = r)));
    const running = runHubCli(['--mqtt-port', '0', '--ws-port', '0', '--api-port', '0', '--tls-port', '0', '--wss-port', '0', '--secret-id', 'AKIDtest', '--secret-key', 'k'], t.io);
    while (!t.out.some((l) => l.includes('Ctrl-C'))) await new Promise((r) => setTimeout(r, 10));
    expect(t.out.join('\n')).toMatch(/MQTT\s+mqtt:\/\/127\.0\.0\.1:\d+/);
    expect(t.out.join('\n')).toMatch(/WebSocket\s+ws:\/\/127\.0\.0\.1:\d+\/mqtt/);
    expect(t.out.join('\n')).toContain('SecretId   AKIDtest');
    stop();
    expect(await running).toBe(0);
    expect(t.out.at(-1)).toBe('reference hub stopped');
  });

  test('a port in use is a one-line error with exit 1', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const t = io(Promise.resolve());
    expect(await runHubCli(['--mqtt-port', String(port), '--ws-port', '0', '--api-port', '0', '--tls-port', '0', '--wss-port', '0'], t.io)).toBe(1);
    expect(t.err[0]).toMatch(/cannot listen for MQTT on 127\.0\.0\.1:\d+: EADDRINUSE/);
    blocker.close();
  });
});

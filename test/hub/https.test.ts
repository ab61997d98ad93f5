// The HTTPS listener and the server certificate's names: --https-port, --tls-hostname, --print-hosts, and what a client sees.

import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub } from '../../hub/index.js';
import { parseHubArgs, runHubCli } from '../../hub/main.js';
import { checkServerName, hostsFileLines, serverNames, TENCENT_DEVICE_HOSTS } from '../../hub/tls/names.js';
import { parseDescriptor } from '../../src/target/descriptor.js';

const dir = mkdtempSync(join(tmpdir(), 'hubcheck-https-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(stop?: Promise<unknown>) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => err.push(l), env: {}, ...(stop ? { stopSignal: stop } : {}) } };
}

/** The server certificate a TLS client gets from `port` when it names `servername`. */
async function peerCert(port: number, servername: string): Promise<X509Certificate> {
  const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
  try {
    await new Promise<void>((resolve, reject) => { s.once('secureConnect', resolve); s.once('error', reject); });
    return s.getPeerX509Certificate()!;
  } finally {
    s.destroy();
  }
}

describe('server names', () => {
  it('accepts DNS names, wildcards and IP addresses, lower-cased; refuses anything else naming the problem', () => {
    expect(checkServerName('Hub.Example.COM.')).toBe('hub.example.com');
    expect(checkServerName('*.example.com')).toBe('*.example.com');
    expect(checkServerName('10.1.2.3')).toBe('10.1.2.3');
    expect(checkServerName('fe80::1')).toBe('fe80::1');
    for (const bad of ['', 'a b', '*.com', 'x.*.example.com', '-a.example.com', 'a'.repeat(64) + '.com', 'under_score.com', '*']) {
      expect(() => checkServerName(bad), bad).toThrow(/is not a host name for the server certificate/);
    }
  });

  it('names the listen host, loopback, every SDK host and the extra names once, without wildcard listen addresses', () => {
    const names = serverNames('0.0.0.0', ['hub.example.com', 'LOCALHOST']);
    expect(names).not.toContain('0.0.0.0');
    expect(names.slice(0, 3)).toEqual(['127.0.0.1', 'localhost', '::1']);
    for (const h of TENCENT_DEVICE_HOSTS) expect(names).toContain(h.certName);
    expect(names).toContain('hub.example.com');
    expect(new Set(names).size).toBe(names.length);
    expect(serverNames('127.0.0.1', [], false)).toEqual(['127.0.0.1', 'localhost', '::1']);
  });

  it('prints hosts-file lines for each product and the shared hosts once', () => {
    const lines = hostsFileLines(['ABCDEFGH12', 'ZZZZZZZZ99'], '127.0.0.2');
    const entries = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(/\s+/).slice(0, 2));
    expect(entries).toContainEqual(['127.0.0.2', 'ABCDEFGH12.iotcloud.tencentdevices.com']);
    expect(entries).toContainEqual(['127.0.0.2', 'ZZZZZZZZ99.ap-guangzhou.iothub.tencentdevices.com']);
    expect(entries.filter(([, n]) => n === 'ap-guangzhou.gateway.tencentdevices.com')).toHaveLength(1);
    expect(entries.every(([, n]) => !n!.includes('*') && !n!.includes('{'))).toBe(true);
    expect(() => hostsFileLines(['abc'])).toThrow(/not a product id/);
    expect(() => hostsFileLines(['ABCDEFGH12'], 'localhost')).toThrow(/not an IP address/);
  });
});

describe('a running hub', () => {
  it('serves the device routes over HTTPS with a certificate naming the SDK hosts and --tls-hostname names', async () => {
    const hub = await startHub({ tlsHostnames: ['hub.example.com'] });
    try {
      const port = Number(new URL(hub.endpoints.https).port);
      const cert = await peerCert(port, 'ABCDEFGH12.iotcloud.tencentdevices.com');
      for (const name of ['ABCDEFGH12.iotcloud.tencentdevices.com', 'ap-guangzhou.gateway.tencentdevices.com', 'X1.ap-guangzhou.iothub.tencentdevices.com', 'hub.example.com', 'localhost']) {
        expect(cert.checkHost(name), name).toBeDefined();
      }
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.checkHost('example.org')).toBeUndefined();
      // the same handling as the plain port: the CA download route of the tls service
      const body = await new Promise<string>((resolve, reject) => {
        const r = request({ host: '127.0.0.1', port, path: '/hub/ca.pem', ca: hub.tls.caCert, servername: 'ap-guangzhou.gateway.tencentdevices.com', agent: false }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        });
        r.on('error', reject);
        r.end();
      });
      expect(body).toBe(hub.tls.caCert);
    } finally {
      await hub.close();
    }
  });

  it('with tls-server-names-missing names only the host and loopback', async () => {
    const hub = await startHub({ faults: ['tls-server-names-missing'] });
    try {
      const cert = await peerCert(Number(new URL(hub.endpoints.mqtts).port), 'localhost');
      expect(cert.checkHost('ABCDEFGH12.iotcloud.tencentdevices.com')).toBeUndefined();
      expect(cert.checkHost('localhost')).toBe('localhost');
    } finally {
      await hub.close();
    }
  });

  it('refuses a bad tlsHostnames entry and a bad httpsPort with a clear error', async () => {
    await expect(startHub({ tlsHostnames: ['not a name'] })).rejects.toThrow(/"not a name" is not a host name/);
    await expect(startHub({ httpsPort: 70000 })).rejects.toThrow(/httpsPort must be an integer from 0 to 65535/);
  });

  it('survives plain bytes and a broken handshake on the HTTPS port', async () => {
    const hub = await startHub({});
    try {
      const port = Number(new URL(hub.endpoints.https).port);
      const { connect } = await import('node:net');
      for (const bytes of ['GET / HTTP/1.1\r\n\r\n', '\x16\x03\x01\x00\x05hello']) {
        const s = connect({ host: '127.0.0.1', port });
        // Written, then dropped: the server must neither crash nor stop serving others.
        await new Promise<void>((resolve) => { s.on('connect', () => s.write(bytes, () => s.destroy())); s.on('close', () => resolve()); s.on('error', () => resolve()); });
      }
      expect((await peerCert(port, 'localhost')).checkHost('localhost')).toBe('localhost');
    } finally {
      await hub.close();
    }
  });
});

describe('hubcheck hub', () => {
  it('parses --https-port, --tls-hostname (repeatable) and the HUB_* variables; flags add to the environment', () => {
    const p = parseHubArgs(['--https-port', '443', '--tls-hostname', 'a.example.com', '--tls-hostname=*.b.example.com'], { HUB_TLS_HOSTNAMES: 'c.example.com, d.example.com', HUB_HTTPS_PORT: '8444' });
    expect(p.options.httpsPort).toBe(443);
    expect(p.options.tlsHostnames).toEqual(['c.example.com', 'd.example.com', 'a.example.com', '*.b.example.com']);
    expect(parseHubArgs([], {}).options.httpsPort).toBeUndefined();
  });

  it.each([
    [['--https-port', 'x'], /--https-port must be a port number/],
    [['--tls-hostname', 'bad name'], /--tls-hostname: "bad name" is not a host name/],
    [['--tls-hostname'], /--tls-hostname needs a value/],
    [['--print-hosts', 'abc'], /--print-hosts: "abc" is not a product id/],
  ])('%j -> exit 2 and a one-line error', async (argv, message) => {
    const t = collect();
    expect(await runHubCli(argv as string[], t.io)).toBe(2);
    expect(t.err).toHaveLength(1);
    expect(t.err[0]).toMatch(message);
  });

  it('--print-hosts prints the hosts-file lines for --host (or 127.0.0.1) and starts nothing', async () => {
    const t = collect();
    expect(await runHubCli(['--print-hosts', 'ABCDEFGH12', '--host', '0.0.0.0'], t.io)).toBe(0);
    expect(t.out[0]).toMatch(/^# /);
    expect(t.out).toContainEqual(expect.stringMatching(/^127\.0\.0\.1 ABCDEFGH12\.iotcloud\.tencentdevices\.com\s+#/));
    expect(t.out.join('\n')).not.toMatch(/reference hub running/);
    const u = collect();
    expect(await runHubCli(['--print-hosts', 'ABCDEFGH12', '--host', '127.0.0.9'], u.io)).toBe(0);
    expect(u.out).toContainEqual(expect.stringMatching(/^127\.0\.0\.9 ap-guangzhou\.gateway\.tencentdevices\.com\s+#/));
  });

  it('prints the HTTPS endpoint and writes it to --target-file', async () => {
    const targetFile = join(dir, 'target.yaml');
    let stop!: () => void;
    const t = collect(new Promise<void>((r) => (stop = r)));
    const running = runHubCli(['--mqtt-port', '0', '--ws-port', '0', '--api-port', '0', '--tls-port', '0', '--wss-port', '0', '--https-port', '0', '--target-file', targetFile], t.io);
    for (let i = 0; i < 500 && !t.out.some((l) => l.includes('Ctrl-C')); i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.out.join('\n')).toMatch(/HTTPS\s+https:\/\/127\.0\.0\.1:\d+/);
    const d = parseDescriptor(readFileSync(targetFile, 'utf8'), targetFile);
    expect(d.endpoints?.https).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    stop();
    expect(await running).toBe(0);
  });
});

// The hub's TLS side on its own: CA persistence and given CAs, bad input to the TLS options and actions, garbage on the TLS ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startHub, type RunningHub } from '../../hub/index.js';
import { runHubCli } from '../../hub/main.js';
import { parseDescriptor } from '../../src/target/descriptor.js';
import { resolveCa } from '../../src/target/described.js';
import { createCa } from '../../hub/tls/pki.js';
import { api, apiError, portOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hubcheck-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the CA', () => {
  it('a file-backed hub keeps its CA across restarts; an in-memory hub makes a new one', async () => {
    const file = join(dir, 'hub.db');
    const a = await startHub({ dataFile: file });
    const first = a.tls.caCert;
    await a.close();
    const b = await startHub({ dataFile: file });
    expect(b.tls.caCert).toBe(first);
    await b.close();
    const c = await startHub({});
    expect(c.tls.caCert).not.toBe(first);
    await c.close();
  });

  it('a given CA issues the server certificate; a mismatched or bad CA is refused naming the option', async () => {
    const ca = await createCa('given CA', Date.now());
    const hub = await startHub({ tls: { caCert: ca.cert, caKey: ca.key } });
    try {
      expect(hub.tls.caCert).toBe(ca.cert);
      const u = new URL(hub.endpoints.mqtts);
      const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: ca.cert });
      await new Promise<void>((resolve, reject) => { s.once('secureConnect', resolve); s.once('error', reject); });
      expect(s.authorized).toBe(true);
      s.destroy();
    } finally {
      await hub.close();
    }
    const other = await createCa('other', Date.now());
    await expect(startHub({ tls: { caCert: ca.cert, caKey: other.key } })).rejects.toThrow(/tls\.caKey does not belong to tls\.caCert/);
    await expect(startHub({ tls: { caCert: 'nonsense', caKey: ca.key } })).rejects.toThrow(/tls\.caCert is not a PEM certificate/);
    await expect(startHub({ tls: { caCert: ca.cert, caKey: 'nonsense' } })).rejects.toThrow(/tls\.caKey is not a PEM private key/);
    await expect(startHub({ tlsPort: 70000 })).rejects.toThrow(/tlsPort must be an integer/);
  });
});

describe('a running hub', () => {
  let hub: RunningHub;
  beforeAll(async () => { hub = await startHub({}); });
  afterAll(() => hub.close());

  it('serves the CA certificate at GET /hub/ca.pem', async () => {
    const r = await fetch(`${hub.endpoints.api}/hub/ca.pem`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(hub.tls.caCert);
  });

  it('refuses bad customer CAs with a clear error and keeps running', async () => {
    expect(await apiError(hub, 'CreatePrivateCA', { CertName: 'bad', CertText: 'not a certificate' })).toBe('InvalidParameterValue.CACertInvalid');
    expect(await apiError(hub, 'CreatePrivateCA', { CertName: 'has space', CertText: hub.tls.caCert })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'DeletePrivateCA', { CertName: 'nothere' })).toBe('ResourceNotFound.CACertNotExist');
    const leafOnly = await startHub({});
    const p = await api(leafOnly, 'CreateProduct', { ProductName: 'certs', ProductProperties: { EncryptionType: '1' } });
    const d = await api(leafOnly, 'CreateDevice', { ProductId: p['ProductId'], DeviceName: 'd1' });
    await leafOnly.close();
    expect(await apiError(hub, 'CreatePrivateCA', { CertName: 'leaf', CertText: d['DeviceCert'] })).toBe('InvalidParameterValue.CACertInvalid');
    await api(hub, 'CreatePrivateCA', { CertName: 'ok_ca', CertText: hub.tls.caCert });
    expect((await api(hub, 'DescribePrivateCAs', {}))['CAs']).toEqual([{ CertName: 'ok_ca' }]);
    expect(await apiError(hub, 'CreatePrivateCA', { CertName: 'ok_ca', CertText: hub.tls.caCert })).toBe('InvalidParameterValue.CACertNameRepeat');
    await api(hub, 'DeletePrivateCA', { CertName: 'ok_ca' });
  });

  it('survives plain bytes and broken handshakes on the TLS and WSS ports', async () => {
    for (const endpoint of [hub.endpoints.mqtts, hub.endpoints.wss]) {
      const s = netConnect(portOf(endpoint), '127.0.0.1');
      await new Promise<void>((resolve) => s.once('connect', () => resolve()));
      s.write(Buffer.from('101000044d5154540402003c0004abcd', 'hex')); // an MQTT CONNECT where a ClientHello belongs
      await new Promise<void>((resolve) => { s.once('close', () => resolve()); s.once('error', () => resolve()); });
    }
    const p = await api(hub, 'CreateProduct', { ProductName: 'still_up' });
    expect(p['ProductId']).toMatch(/^[A-Z0-9]{10}$/);
  });

  it('issues device certificates only for certificate products, with CN = productId+deviceName', async () => {
    const key = await api(hub, 'CreateProduct', { ProductName: 'keyprod' });
    const kd = await api(hub, 'CreateDevice', { ProductId: key['ProductId'], DeviceName: 'k' });
    expect([kd['DeviceCert'], kd['DevicePrivateKey']]).toEqual(['', '']);
    const cp = await api(hub, 'CreateProduct', { ProductName: 'certprod', ProductProperties: { EncryptionType: '1' } });
    const cd = await api(hub, 'CreateDevice', { ProductId: cp['ProductId'], DeviceName: 'c' });
    expect(cd['DevicePsk']).toBe('');
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(cd['DeviceCert'] as string);
    expect(cert.subject).toBe(`CN=${cp['ProductId']}c`);
    expect(cert.checkIssued(new X509Certificate(hub.tls.caCert))).toBe(true);
    expect(await apiError(hub, 'CreateDevice', { ProductId: cp['ProductId'], DeviceName: 'c' })).toBe('InvalidParameterValue.DeviceAlreadyExist');
  });
});

describe('hubcheck hub', () => {
  it('--ca-file writes the CA and --target-file describes mqtts, wss and the CA; a bad --ca-cert is a usage error', async () => {
    const caFile = join(dir, 'ca.pem');
    const targetFile = join(dir, 'target.yaml');
    let stop!: () => void;
    const out: string[] = [];
    const err: string[] = [];
    const running = runHubCli(['--mqtt-port', '0', '--ws-port', '0', '--api-port', '0', '--tls-port', '0', '--wss-port', '0', '--ca-file', caFile, '--target-file', targetFile],
      { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env: {}, stopSignal: new Promise<void>((r) => (stop = r)) });
    for (let i = 0; i < 500 && !out.some((l) => l.includes('Ctrl-C')); i++) await new Promise((r) => setTimeout(r, 10));
    expect(out.join('\n')).toMatch(/MQTT\/TLS\s+mqtts:\/\/127\.0\.0\.1:\d+/);
    const d = parseDescriptor(readFileSync(targetFile, 'utf8'), targetFile);
    expect(d.endpoints?.mqtts).toMatch(/^mqtts:/);
    expect(d.endpoints?.wss).toMatch(/^wss:.*\/mqtt$/);
    expect(resolveCa(d.tls!.ca)).toBe(readFileSync(caFile, 'utf8'));
    expect(resolveCa(caFile)).toBe(readFileSync(caFile, 'utf8'));
    stop();
    expect(await running).toBe(0);
    expect(() => resolveCa(join(dir, 'missing.pem'))).toThrow(/tls\.ca: cannot read a PEM certificate/);
    const bad: string[] = [];
    expect(await runHubCli(['--ca-cert', join(dir, 'missing.pem')], { stdout: () => {}, stderr: (l) => bad.push(l), env: {} })).toBe(2);
    expect(bad[0]).toMatch(/--ca-cert .*missing\.pem: cannot read it/);
    expect(await runHubCli(['--ca-cert', caFile], { stdout: () => {}, stderr: (l) => bad.push(l), env: {} })).toBe(2);
    expect(bad[1]).toMatch(/--ca-cert and --ca-key must be given together/);
  });
});

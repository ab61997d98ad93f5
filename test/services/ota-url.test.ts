// Firmware URLs (OTA-012): default ports left out, the firmware base URL option, the firmware-only listener, the CLI flags.
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { parseHubArgs, targetDescriptor } from '../../hub/main.js';
import { checkFirmwareBaseUrl, namesPort, normalizeBase } from '../../hub/services/ota/url.js';
import { api, provision } from '../hub/helpers.js';

describe('firmware base URLs', () => {
  test.each([
    ['http://127.0.0.1:80', 'http://127.0.0.1'],
    ['https://fw.example.com:443/', 'https://fw.example.com'],
    ['http://fw.example.com:8080/ota/', 'http://fw.example.com:8080/ota'],
    ['HTTP://FW.example.com', 'http://fw.example.com'],
  ])('%s is normalized to %s', (given, expected) => {
    expect(normalizeBase(given)).toBe(expected);
    expect(checkFirmwareBaseUrl('--firmware-base-url', given)).toBe(expected);
  });

  test('a port, or an IPv6 literal, is what a strict client cannot fetch', () => {
    expect(namesPort('http://127.0.0.1:80')).toBe(false);
    expect(namesPort('http://127.0.0.1:8081')).toBe(true);
    expect(namesPort('https://fw.example.com/ota')).toBe(false);
    expect(namesPort('http://[::1]')).toBe(true);
    // only the host part counts: a path that reads like another URL with a port does not
    expect(namesPort('http://fw.example.com/mirror/http://cdn.example.com:8080/x')).toBe(false);
  });

  test.each(['127.0.0.1', 'ftp://fw.example.com', 'http://user:pw@fw.example.com', 'http://fw.example.com/?a=1', 'http://fw.example.com/#x'])(
    '%s is refused with a reason',
    (bad) => expect(() => checkFirmwareBaseUrl('--firmware-base-url', bad)).toThrow(/--firmware-base-url must/),
  );

  test('the CLI reads --firmware-port and --firmware-base-url (and their HUB_* variables) and refuses a bad URL as a usage error', () => {
    expect(parseHubArgs(['--firmware-port', '80', '--firmware-base-url=http://fw.local:80/'], {}).options).toMatchObject({ firmwarePort: 80, firmwareBaseUrl: 'http://fw.local' });
    expect(parseHubArgs([], { HUB_FIRMWARE_PORT: '8090', HUB_FIRMWARE_BASE_URL: 'https://fw.local' }).options).toMatchObject({ firmwarePort: 8090, firmwareBaseUrl: 'https://fw.local' });
    expect(() => parseHubArgs(['--firmware-base-url', 'fw.local'], {})).toThrow(/--firmware-base-url must be an http:\/\/ or https:\/\/ URL/);
    expect(() => parseHubArgs(['--firmware-port', '99999'], {})).toThrow(/--firmware-port must be a port number/);
  });

  test('the target descriptor of a hub whose firmware URLs name a port says it lacks firmware-default-port', () => {
    const hub = { endpoints: { mqtt: 'mqtt://127.0.0.1:1883', ws: 'ws://127.0.0.1:8080/mqtt', api: 'http://127.0.0.1:8081', coap: 'coap://127.0.0.1:5683', coaps: 'coaps://127.0.0.1:5684' }, credentials: { secretId: 'a', secretKey: 'b' }, faults: [] };
    expect(targetDescriptor({ ...hub, firmwareBaseUrl: 'http://127.0.0.1:8081' })).toContain('capabilities:\n  missing: [firmware-default-port]\n');
    expect(targetDescriptor({ ...hub, firmwareBaseUrl: 'http://fw.local' })).not.toContain('firmware-default-port');
  });
});

describe('the hub serving firmware', () => {
  const hubs: RunningHub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
  });
  const start = async (o: Parameters<typeof startHub>[0]) => {
    const hub = await startHub(o);
    hubs.push(hub);
    return hub;
  };

  async function uploaded(hub: RunningHub): Promise<{ url: string; bytes: Buffer }> {
    const [d] = await provision(hub, ['fw1']);
    const bytes = Buffer.from('firmware bytes');
    await api(hub, 'UploadFirmware', {
      ProductID: d!.productId, FirmwareVersion: '2.0', Md5sum: createHash('md5').update(bytes).digest('hex'), FileSize: bytes.length,
      HubcheckFirmwareBase64: bytes.toString('base64'),
    });
    const { Url } = await api(hub, 'GetCOSURL', { ProductID: d!.productId, FirmwareVersion: '2.0' });
    return { url: Url as string, bytes };
  }

  test('URLs start with the firmware base URL, without its default port', async () => {
    const hub = await start({ firmwareBaseUrl: 'http://fw.example.com:80/ota/' });
    expect(hub.firmwareBaseUrl).toBe('http://fw.example.com/ota');
    const { url } = await uploaded(hub);
    expect(url).toMatch(/^http:\/\/fw\.example\.com\/ota\/firmware\/[^/]+\/2\.0$/);
  });

  test('a firmware-only listener serves downloads, nothing else, and URLs name it', async () => {
    const hub = await start({ firmwarePort: 0 });
    expect(hub.firmwareBaseUrl).not.toBe(hub.endpoints.api);
    const { url, bytes } = await uploaded(hub);
    expect(url.startsWith(`${hub.firmwareBaseUrl}/firmware/`)).toBe(true);
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    const other = await fetch(`${hub.firmwareBaseUrl}/`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect(await other.text()).toMatch(/only firmware downloads are served here/);
  });

  test('without options URLs stay on the API port', async () => {
    const hub = await start({});
    expect(hub.firmwareBaseUrl).toBe(hub.endpoints.api);
  });

  test('a taken firmware port or a bad base URL stops the start with a clear error', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startHub({ firmwarePort: port })).rejects.toThrow(new RegExp(`cannot listen for firmware downloads on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      blocker.close();
    }
    await expect(startHub({ firmwareBaseUrl: 'fw.example.com' })).rejects.toThrow(/firmwareBaseUrl must be an http:\/\/ or https:\/\/ URL/);
  });
});

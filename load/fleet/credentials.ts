/** Fleet credentials: a fixtures file (CSV productId,deviceName,psk) for big or API-less fleets, or devices created through the cloud API. */
import { randomBytes, randomInt } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { CloudApi } from '../../src/client/cloud-api.js';
import { DEVICE_NAME_RE, PRODUCT_ID_RE } from '../../src/protocol/credentials.js';

export interface DeviceCred {
  productId: string;
  deviceName: string;
  psk: string;
}

export const FIXTURES_HEADER = 'productId,deviceName,psk';

/** Devices per product in generated fixtures: the hub's default quota (protocol.md §11). */
export const FIXTURE_DEVICES_PER_PRODUCT = 1_000_000;

function productId(): string {
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let s = '';
  for (let i = 0; i < 10; i++) s += a[randomInt(a.length)];
  return s;
}

/** Writes `count` devices with random PSKs; names are `dev<n>` so a file's rows are predictable. Returns the product ids used. */
export async function writeFixtures(file: string, count: number, perProduct = FIXTURE_DEVICES_PER_PRODUCT): Promise<string[]> {
  if (!Number.isInteger(count) || count < 1 || count > 10_000_000) throw new Error(`--devices: from 1 to 10000000 devices (got ${count})`);
  const out = createWriteStream(file);
  const products: string[] = [];
  out.write(FIXTURES_HEADER + '\n');
  let chunk = '';
  const psks = randomBytes(16 * Math.min(count, 65536));
  for (let i = 0; i < count; i++) {
    if (i % perProduct === 0) products.push(productId());
    const o = (i % 65536) * 16;
    if (i > 0 && i % 65536 === 0) randomBytes(16 * 65536).copy(psks);
    chunk += `${products[products.length - 1]},dev${i},${psks.subarray(o, o + 16).toString('base64')}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return products;
}

/** Reads rows [start, end) of a fixtures file; a bad row is an error naming the line. */
export async function readFixtures(file: string, start = 0, end = Infinity): Promise<DeviceCred[]> {
  const devices: DeviceCred[] = [];
  const input = createReadStream(file);
  const failed = new Promise<never>((_, reject) => input.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`--fixtures ${file}: cannot read (${e.code ?? e.message})`))));
  const lines = createInterface({ input, crlfDelay: Infinity });
  const read = (async () => {
    let n = -1;
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (lineNo === 1) {
        if (line.trim() !== FIXTURES_HEADER) throw new Error(`--fixtures ${file}: line 1 must be the header "${FIXTURES_HEADER}"`);
        continue;
      }
      if (!line) continue;
      n++;
      if (n < start) continue;
      if (n >= end) break;
      const [pid, dn, psk] = line.split(',');
      if (!pid || !PRODUCT_ID_RE.test(pid) || !dn || !DEVICE_NAME_RE.test(dn) || !psk) {
        throw new Error(`--fixtures ${file}: line ${lineNo} is not productId,deviceName,psk (productId 10 characters A-Z0-9, deviceName 1-48 of [a-zA-Z0-9:_-])`);
      }
      devices.push({ productId: pid, deviceName: dn, psk });
    }
    input.destroy();
    return devices;
  })();
  return Promise.race([read, failed]);
}

/** Creates one product and `count` devices through the cloud API (a few requests in parallel), for hubs without a bulk path. */
export async function provisionViaApi(api: CloudApi, count: number, prefix: string, concurrency = 16): Promise<{ productId: string; devices: DeviceCred[] }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.slice(0, 32);
  const { ProductId } = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: name });
  const devices: DeviceCred[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const DeviceName = `dev${i}`;
      const { DevicePsk } = await api.call<{ DevicePsk: string }>('CreateDevice', { ProductId, DeviceName });
      devices[i] = { productId: ProductId, deviceName: DeviceName, psk: DevicePsk };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { productId: ProductId, devices };
}

/** Deletes what provisionViaApi created (best effort: a load run must not leave a product behind on a shared hub). */
export async function deprovision(api: CloudApi, productId: string, devices: readonly DeviceCred[], concurrency = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= devices.length) return;
      await api.call('DeleteDevice', { ProductId: productId, DeviceName: devices[i]!.deviceName }).catch(() => {});
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, devices.length) }, worker));
  await api.call('DeleteProduct', { ProductId: productId }).catch(() => {});
}

// Provisioning through the cloud API: interrupted and rerun, every device exists exactly once with its key in the file;
// removal leaves no device, product or file behind.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { readFixtures } from '../../load/fleet/credentials.js';
import { provision, removeProvisioned, stateFileOf, type ProvisionState } from '../../load/fleet/provision.js';
import { ApiError, CloudApi } from '../../src/client/cloud-api.js';
import { deviceLogin } from '../../src/protocol/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'hubcheck-provision-'));

describe('provision', { timeout: 60_000 }, () => {
  let hub: RunningHub;
  let api: CloudApi;
  beforeAll(async () => {
    // The hub's own CreateDevice limit stays on (100/s): provisioning must keep under it or wait it out.
    hub = await startHub({ mqttPort: 0, wsPort: 0, apiPort: 0, tlsPort: 0, wssPort: 0, httpsPort: 0, quotas: { devicesPerProduct: 1000 } } as never);
    api = new CloudApi({ endpoint: hub.endpoints.api, ...hub.credentials, region: 'ap-guangzhou' });
  });
  afterAll(async () => { await hub?.close(); });

  it('interrupted, then rerun: all devices exist exactly once, each key in the file logs in; removal leaves none', async () => {
    const file = join(dir, 'fleet.csv');
    const N = 240;
    const abort = new AbortController();
    const first = await provision({ api, file, devices: N, rate: 400, signal: abort.signal, onProgress: () => {}, productName: 'fleet_t1' })
      .catch((e: Error) => { throw e; });
    expect(first.complete).toBe(true); // without an abort it simply finishes; the interrupted case follows on a second fleet
    await removeProvisioned({ api, file, rate: 400 });
    expect(existsSync(file)).toBe(false);

    // Interrupt after about a third: the abort lets requests in flight land in the file, sends no more.
    const seen: number[] = [];
    const run1 = provision({ api, file, devices: N, rate: 200, signal: abort.signal, productName: 'fleet_t2' });
    const watcher = setInterval(() => {
      const rows = existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 2 : 0;
      seen.push(rows);
      if (rows >= 80) abort.abort();
    }, 20);
    const r1 = await run1.finally(() => clearInterval(watcher));
    expect(r1.complete).toBe(false);
    const state = JSON.parse(readFileSync(stateFileOf(file), 'utf8')) as ProvisionState;
    expect(state).toMatchObject({ devices: N, phase: 'creating', productName: 'fleet_t2' });
    const rowsAfterAbort = (await readFixtures(file)).length;
    expect(rowsAfterAbort).toBeGreaterThanOrEqual(80);
    expect(rowsAfterAbort).toBeLessThan(N);
    const total = async () => (await api.call<{ TotalCount: number }>('DescribeDevices', { ProductId: state.productId, Offset: 0, Limit: 10 })).TotalCount;
    expect(await total()).toBe(rowsAfterAbort); // every device created is in the file

    // A crash while writing: the last row lost whole and the one before cut in half. Those devices exist on the hub.
    const text = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, [...text.slice(0, -3), text.at(-3)!.slice(0, 15)].join('\n'));

    const r2 = await provision({ api, file, devices: N, rate: 200 });
    expect(r2.complete).toBe(true);
    expect(r2.alreadyInFile).toBe(rowsAfterAbort - 2);
    expect(r2.recovered).toBe(2); // found created, read back with DescribeDevice, not created again
    expect(r2.created).toBe(N - rowsAfterAbort);
    const rows = await readFixtures(file);
    expect(rows.length).toBe(N);
    expect(new Set(rows.map((d) => d.deviceName)).size).toBe(N);
    expect(await total()).toBe(N);
    // the keys are the hub's: the recovered and a fresh device log in
    for (const d of [rows[rowsAfterAbort - 3]!, rows[N - 1]!]) {
      const c = await mqtt.connectAsync(hub.endpoints.mqtt, { ...deviceLogin(d), reconnectPeriod: 0 });
      await c.endAsync();
    }
    // a third run has nothing left to do
    const r3 = await provision({ api, file, devices: N, rate: 200 });
    expect([r3.created, r3.recovered, r3.alreadyInFile]).toEqual([0, 0, N]);

    await expect(provision({ api, file, devices: N + 1 })).rejects.toThrow(/provisioning is of 240 devices, not 241; rerun with --devices 240/);

    const removed = await removeProvisioned({ api, file, rate: 400 });
    expect(removed.deleted).toBe(N);
    await expect(api.call('DescribeDevices', { ProductId: state.productId, Offset: 0, Limit: 10 })).rejects.toSatisfy((e: unknown) => e instanceof ApiError && e.code === 'ResourceNotFound.ProductNotExist');
    const products = await api.call<{ Products: { ProductName: string }[] }>('DescribeProducts', { Offset: 0, Limit: 250 });
    expect(products.Products.filter((p) => p.ProductName.startsWith('fleet_t'))).toEqual([]);
    expect(existsSync(file) || existsSync(stateFileOf(file))).toBe(false);
  });

  it('bad input names the fix', async () => {
    const file = join(dir, 'other.csv');
    writeFileSync(file, 'productId,deviceName,psk\n');
    await expect(provision({ api, file, devices: 10 })).rejects.toThrow(/exists without .*state.json: it is not a provisioning to continue; choose a new credentials file/);
    await expect(removeProvisioned({ api, file: join(dir, 'none.csv') })).rejects.toThrow(/not found: nothing to remove/);
    await expect(provision({ api, file: join(dir, 'x.csv'), devices: 0 })).rejects.toThrow(/--devices: from 1 to 10000000/);
  });
});

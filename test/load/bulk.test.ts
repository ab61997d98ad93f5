// Bulk provisioning: fixtures files written by the load command, imported into a hub registry file, and logins that work at once.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { importDevices } from '../../hub/registry/bulk.js';
import { runHubCli } from '../../hub/main.js';
import { startHub } from '../../hub/index.js';
import { readFixtures, writeFixtures } from '../../load/fleet/credentials.js';
import { deviceLogin } from '../../src/protocol/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'hubcheck-bulk-'));

describe('bulk import', () => {
  it('imports a fixtures file idempotently and the devices log in', { timeout: 30_000 }, async () => {
    const csv = join(dir, 'fleet.csv');
    await writeFixtures(csv, 300);
    const db = join(dir, 'hub.db');
    expect(await importDevices(db, csv)).toMatchObject({ products: 1, devices: 300, skipped: 0 });
    expect(await importDevices(db, csv)).toMatchObject({ products: 0, devices: 0, skipped: 300 });
    const hub = await startHub({ dataFile: db, tlsPort: 0, wssPort: 0 } as never);
    try {
      const d = (await readFixtures(csv, 299, 300))[0]!;
      const c = await mqtt.connectAsync(hub.endpoints.mqtt, { ...deviceLogin(d), reconnectPeriod: 0 });
      await c.endAsync(true);
    } finally {
      await hub.close();
    }
  });

  it('hubcheck hub --import-devices: bad input names the field and the fix, exit 2', async () => {
    const err: string[] = [];
    const io = { stdout: () => {}, stderr: (l: string) => err.push(l), env: {}, stopSignal: Promise.resolve() };
    expect(await runHubCli(['--import-devices', join(dir, 'x.csv')], io)).toBe(2);
    expect(err.pop()).toMatch(/--import-devices needs --data FILE/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'productId,deviceName,psk\nABCDEFGHIJ,dev 1,AAAA\n');
    expect(await runHubCli(['--data', join(dir, 'b.db'), '--import-devices', bad], io)).toBe(2);
    expect(err.pop()).toMatch(/line 2 is not productId,deviceName,psk/);
    expect(await runHubCli(['--data', join(dir, 'c.db'), '--import-devices', join(dir, 'missing.csv')], io)).toBe(2);
    expect(err.pop()).toMatch(/cannot read \(ENOENT\)/);
  });
});

/** Times the hub's per-login work at a given registry size: device and product lookup, signature check, ACL classes and a publish permission match. */
import { randomInt } from 'node:crypto';
import { deviceClasses } from '../../hub/acl/classes.js';
import { levels, matchesPattern } from '../../hub/acl/topics.js';
import { parsePassword, verifyToken } from '../../hub/auth/credentials.js';
import { Registry } from '../../hub/registry/index.js';
import { deviceLogin } from '../../src/protocol/credentials.js';
import { newHistogram, recordUs, summarize } from '../metrics/histogram.js';
import { readFixtures } from '../fleet/credentials.js';

/** usage: tsx load/tools/registry-lookups.ts HUB.db FIXTURES.csv [samples] */
const [dbFile, csv, samplesText] = process.argv.slice(2);
if (!dbFile || !csv) throw new Error('usage: tsx load/tools/registry-lookups.ts HUB.db FIXTURES.csv [samples]');
const samples = Math.min(1_000_000, Number(samplesText ?? 20_000));
const devices = await readFixtures(csv);
const registry = new Registry(dbFile);
const login = newHistogram();
const acl = newHistogram();
for (let i = 0; i < samples; i++) {
  const d = devices[randomInt(devices.length)]!;
  const l = deviceLogin(d);
  const t0 = performance.now();
  const product = registry.getProduct(d.productId);
  const dev = product && registry.getDevice(d.productId, d.deviceName);
  const ok = !!dev && verifyToken(dev.psk!, l.username, parsePassword(l.password)!);
  const t1 = performance.now();
  const classes = deviceClasses(d.productId, d.deviceName, registry.policies(d.productId));
  const topic = levels(`${d.productId}/${d.deviceName}/data`);
  const allowed = classes.publish.some((p) => matchesPattern(topic, p));
  const t2 = performance.now();
  if (!ok || !allowed) throw new Error(`lookup failed for ${d.deviceName}`);
  recordUs(login, (t1 - t0) * 1000);
  recordUs(acl, (t2 - t1) * 1000);
}
registry.close();
console.log(JSON.stringify({ registryDevices: devices.length, samples, login: summarize(login), acl: summarize(acl) }, null, 1));

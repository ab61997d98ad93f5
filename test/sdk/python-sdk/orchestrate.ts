// Runs inside the network, mount and PID namespace that python-sdk.test.ts starts (where /etc/hosts is the bind-mounted
// hosts file of the temp dir): starts the reference hub on the ports the official Python SDK dials (MQTT 1883, HTTP 80),
// provisions what the driver's flows need through the cloud API, points the SDK's host names at the hub by rewriting that
// hosts file, runs driver.py once per role (the SDK holds one device per process) and acts on its cues (RRPC, broadcast).
// Prints each flow as `@@ {"flow", "ok", "detail"}` on stdout, its own and the driver's, for the test to assert.
//
//   node --import tsx test/sdk/python-sdk/orchestrate.ts TEMP_DIR PYTHON

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startHub, type RunningHub } from '../../../hub/index.js';
import { hostsFileLines } from '../../../hub/tls/names.js';
import { api, callApi, provision } from '../../hub/helpers.js';

const MARK = '@@ ';
const DRIVER = fileURLToPath(new URL('./driver.py', import.meta.url));
/** Each role's driver process is ended after this long, whatever it is doing. */
const ROLE_DEADLINE_MS = 30_000;

type Flow = { flow: string; ok: boolean; detail: string };
const emit = (f: Flow) => process.stdout.write(`${MARK}${JSON.stringify(f)}\n`);
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The device file format of the SDK's samples (hub/sample/device_info.json). */
function deviceFile(dir: string, name: string, o: { productId: string; deviceName: string; secret: string; productSecret?: string; subDevs?: { productId: string; deviceName: string }[] }): string {
  const path = join(dir, `${name}.json`);
  const subs = o.subDevs ?? [];
  writeFileSync(path, JSON.stringify({
    auth_mode: 'KEY',
    productId: o.productId,
    productSecret: o.productSecret ?? 'YOUR_PRODUCT_SECRET',
    deviceName: o.deviceName,
    key_deviceinfo: { deviceSecret: o.secret },
    cert_deviceinfo: { devCaFile: 'ca.crt', devCertFile: 'dev.crt', devPrivateKeyFile: 'dev.key' },
    subDev: { subdev_num: subs.length, subdev_list: subs.map((s) => ({ sub_productId: s.productId, sub_devName: s.deviceName })) },
    region: 'ap-guangzhou',
  }, null, 2));
  return path;
}

/** Runs one driver role to its end (or the deadline), forwarding its flows and answering its events. */
function runRole(python: string, dir: string, args: string[], onEvent: (event: string) => Promise<void>): Promise<void> {
  const role = args[0]!;
  return new Promise((resolve) => {
    const child = spawn(python, ['-u', DRIVER, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdoutOther = '';
    child.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4000); });
    const pending: Promise<void>[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith(MARK)) { stdoutOther = (stdoutOther + line + '\n').slice(-2000); return; }
      const msg = JSON.parse(line.slice(MARK.length)) as Flow | { event: string };
      if ('event' in msg) pending.push(onEvent(msg.event).catch((e: unknown) => { emit({ flow: `${role}-${msg.event}`, ok: false, detail: errorText(e) }); }));
      else emit(msg);
    });
    const timer = setTimeout(() => {
      emit({ flow: `${role}-driver`, ok: false, detail: `still running after ${ROLE_DEADLINE_MS} ms; stopped. stderr: ${stderr}` });
      child.kill('SIGKILL');
    }, ROLE_DEADLINE_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      void Promise.all(pending).then(() => {
        if (code !== 0) emit({ flow: `${role}-driver`, ok: false, detail: `exit ${code}. stderr: ${stderr} stdout: ${stdoutOther}` });
        resolve();
      });
    });
  });
}

async function main(dir: string, python: string): Promise<void> {
  const hub = await startHub({ host: '127.0.0.1', mqttPort: 1883, apiPort: 80, wsPort: 0, rrpcTimeoutMs: 8000 });
  try {
    await run(hub, dir, python);
  } finally {
    await hub.close();
  }
}

async function run(hub: RunningHub, dir: string, python: string): Promise<void> {
  const nonce = randomBytes(6).toString('hex');

  // A key device with firmware 2.0.0 waiting for it once it reports 1.0.0, and a remote configuration.
  const [dev] = await provision(hub, ['dev1']);
  const firmware = randomBytes(23_456); // several of the driver's 5000-byte reads
  const md5 = createHash('md5').update(firmware).digest('hex');
  await api(hub, 'UploadFirmware', {
    ProductID: dev!.productId, FirmwareVersion: '2.0.0', Md5sum: md5, FileSize: firmware.length,
    HubcheckFirmwareBase64: firmware.toString('base64'),
  });
  await api(hub, 'BatchUpdateFirmware', { ProductID: dev!.productId, FirmwareVersion: '2.0.0', FirmwareOriVersion: '1.0.0', DeviceNames: ['dev1'] });
  await api(hub, 'HubcheckSetProductConfig', { ProductId: dev!.productId, Config: JSON.stringify({ nonce, interval: 30 }), Enabled: 1 });

  // A product with dynamic registration that creates unknown names (RegisterType 2).
  const [regSeed] = await provision(hub, ['seed']);
  const reg = await api(hub, 'UpdateProductDynamicRegister', { ProductId: regSeed!.productId, RegisterType: 2, RegisterLimit: 10 });

  // A gateway product (ProductType 5), a sub-device product; sub1 bound by the cloud API, sub2 left for the gateway to bind.
  const gwProduct = await api(hub, 'CreateProduct', { ProductName: `gw_${nonce}`, ProductProperties: { EncryptionType: '2', ProductType: 5 } });
  const gwId = gwProduct.ProductId as string;
  const gw = await api(hub, 'CreateDevice', { ProductId: gwId, DeviceName: 'gw1' });
  const [sub1, sub2] = await provision(hub, ['sub1', 'sub2']);
  await api(hub, 'BindDevices', { GatewayProductId: gwId, GatewayDeviceName: 'gw1', ProductId: sub1!.productId, DeviceNames: ['sub1'] });

  // The SDK resolves ${productId}.iotcloud.tencentdevices.com and ap-guangzhou.gateway.tencentdevices.com: rewrite the
  // bind-mounted hosts file in place (same inode, so the mount shows the new content).
  const products = [dev!.productId, regSeed!.productId, gwId, sub1!.productId];
  writeFileSync(join(dir, 'hosts'), ['127.0.0.1 localhost', '::1 localhost', ...hostsFileLines(products), ''].join('\n'));

  // ---- the key device
  await runRole(python, dir, ['device', deviceFile(dir, 'device', { productId: dev!.productId, deviceName: 'dev1', secret: dev!.psk }), nonce], async (event) => {
    if (event === 'rrpc-ready') {
      const r = await callApi(hub, 'PublishRRPCMessage', { ProductId: dev!.productId, DeviceName: 'dev1', Payload: JSON.stringify({ ping: 7, nonce }) });
      const err = r.Response.Error;
      const answer = err ? '' : Buffer.from(String(r.Response.PayloadBase64), 'base64').toString('utf8');
      let ok = false;
      try { ok = !err && (JSON.parse(answer) as { pong?: unknown }).pong === 7; } catch { /* reported below */ }
      emit({ flow: 'rrpc-cloud', ok, detail: err ? `${err.Code}: ${err.Message}` : `PublishRRPCMessage answered ${answer}` });
    } else if (event === 'broadcast-ready') {
      await api(hub, 'PublishBroadcastMessage', { ProductId: dev!.productId, Payload: JSON.stringify({ nonce, text: 'hello' }), Qos: 0 });
    } else if (event === 'ota-done') {
      // The done report was acknowledged; the task's record may trail the PUBACK, so read it until it settles (bounded).
      const deadline = Date.now() + 5000;
      let view: Record<string, unknown> | undefined;
      for (let i = 0; i < 50 && Date.now() < deadline; i++) {
        const r = await api(hub, 'DescribeFirmwareTaskDevices', { ProductID: dev!.productId, FirmwareVersion: '2.0.0' });
        view = (r.Devices as Record<string, unknown>[]).find((d) => d.DeviceName === 'dev1');
        if (view?.Status === 6) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      emit({ flow: 'ota-task-status', ok: view?.Status === 6, detail: `DescribeFirmwareTaskDevices: ${JSON.stringify(view)}` });
    }
  });

  // ---- dynamic registration of a name the product does not have yet
  const regName = `reg_${nonce}`;
  await runRole(python, dir, ['dynreg', deviceFile(dir, 'dynreg', { productId: regSeed!.productId, deviceName: regName, secret: 'YOUR_DEVICE_SECRET', productSecret: reg.ProductSecret as string })], async () => {});
  const created = await callApi(hub, 'DescribeDevice', { ProductID: regSeed!.productId, DeviceName: regName });
  emit({ flow: 'dynreg-cloud', ok: !created.Response.Error, detail: created.Response.Error ? created.Response.Error.Message : `DescribeDevice finds ${regName}` });

  // ---- the gateway
  await runRole(python, dir, [
    'gateway', deviceFile(dir, 'gateway', { productId: gwId, deviceName: 'gw1', secret: gw.DevicePsk as string, subDevs: [{ productId: sub1!.productId, deviceName: 'sub1' }] }),
    sub2!.productId, 'sub2', sub2!.psk,
  ], async () => {});
}

const [dir, python] = process.argv.slice(2);
if (!dir || !python) {
  process.stderr.write('usage: orchestrate.ts TEMP_DIR PYTHON\n');
  process.exitCode = 2;
} else {
  main(dir, python).catch((e) => {
    emit({ flow: 'setup', ok: false, detail: e instanceof Error ? e.stack ?? e.message : String(e) });
    process.exitCode = 1;
  });
}

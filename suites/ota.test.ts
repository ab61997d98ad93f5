// Firmware upgrade: $ota reports and commands, the firmware download server (Range, Content-Length), firmware actions and tasks (protocol.md §4).
import { createHash, randomBytes } from 'node:crypto';
import { request, type RequestOptions } from 'node:http';
import { request as requestTls } from 'node:https';
import { rootCertificates } from 'node:tls';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { apiErrorCode as apiCode } from '../src/client/cloud-api.js';
import type { Device } from '../src/client/device.js';
import { advanceTestClock } from '../src/client/test-clock.js';
import { currentTarget, type Harness, req, reqProperty } from './support/harness.js';
import { type DeviceCredentials, uniqueName, useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

const product = useProduct('ota', { devices: [] });
const O = 'ota.schema.json#/$defs/';
/** The hubcheck extension parameter of UploadFirmware carrying the bytes (hub/README.md); the real API uploads to COS. */
const CONTENT_PARAM = 'HubcheckFirmwareBase64';

let versionSeq = 0;
/** Versions unique to this run, so tasks by original version never pick up another test's devices. */
const newVersion = (tag: string) => `${tag}.${Date.now() % 100000}.${++versionSeq}`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function parse(b: Buffer): any {
  try { return JSON.parse(b.toString('utf8')); } catch { return undefined; }
}

async function upload(h: Harness, version: string, bytes: Buffer = randomBytes(20_000), extra: Record<string, unknown> = {}): Promise<Buffer> {
  await h.api().call('UploadFirmware', {
    ProductID: product.productId, FirmwareVersion: version, Md5sum: md5(bytes), FileSize: bytes.length,
    FirmwareName: `fw-${version}`, FirmwareDescription: 'hubcheck', [CONTENT_PARAM]: bytes.toString('base64'), ...extra,
  });
  return bytes;
}

/** A device with $ota/update subscribed. */
class OtaDevice {
  readonly reportTopic: string;
  readonly updateTopic: string;
  readonly loopTopic: string;
  private seen = 0;
  constructor(readonly h: Harness, readonly dev: Device, readonly creds: DeviceCredentials) {
    this.reportTopic = `$ota/report/${creds.productId}/${creds.deviceName}`;
    this.updateTopic = `$ota/update/${creds.productId}/${creds.deviceName}`;
    this.loopTopic = `${creds.productId}/${creds.deviceName}/data`;
  }

  static async open(h: Harness, creds: DeviceCredentials): Promise<OtaDevice> {
    const dev = await h.device(creds);
    expect(await dev.subscribe(`$ota/update/${creds.productId}/${creds.deviceName}`, 1)).toBe(1);
    expect(await dev.subscribe(`${creds.productId}/${creds.deviceName}/data`, 1)).toBe(1);
    return new OtaDevice(h, dev, creds);
  }

  /** Reports a version and waits for its report_version_rsp. */
  async reportVersion(version: string, text?: string): Promise<any> {
    const start = this.dev.messages.length;
    await this.dev.publish(this.reportTopic, text ?? JSON.stringify({ type: 'report_version', report: { version } }), 1);
    const m = await this.dev.waitFor((x) => this.dev.messages.indexOf(x) >= start && x.topic === this.updateTopic && parse(x.payload)?.type === 'report_version_rsp', ROUND_TRIP_LIMIT_MS);
    if (!m) throw new Error(`no report_version_rsp on ${this.updateTopic} within ${ROUND_TRIP_LIMIT_MS} ms`);
    const rsp = parse(m.payload);
    this.h.expectSchema(O + 'reportVersionRsp', rsp, `MQTT ${this.updateTopic}`);
    return rsp;
  }

  /**
   * Reports version `ori` and waits for the update_firmware it must bring while the task is unfinished (OTA-008). Reports
   * on one topic are handled in order, so once it arrives every earlier report of this device has been handled.
   */
  async resend(ori: string): Promise<any> {
    const start = this.dev.messages.length;
    await this.dev.publish(this.reportTopic, JSON.stringify({ type: 'report_version', report: { version: ori } }), 1);
    const m = await this.dev.waitFor((x) => this.dev.messages.indexOf(x) >= start && x.topic === this.updateTopic && parse(x.payload)?.type === 'update_firmware', ROUND_TRIP_LIMIT_MS);
    if (!m) throw new Error(`no update_firmware on ${this.updateTopic} within ${ROUND_TRIP_LIMIT_MS} ms after report_version ${ori}: the task is no longer unfinished`);
    const u = parse(m.payload);
    this.h.expectSchema(O + 'updateMessage', u, `MQTT ${this.updateTopic}`);
    return u;
  }

  async progress(version: string, progress: Record<string, unknown>, layout?: (o: unknown) => string): Promise<void> {
    const body = { type: 'report_progress', report: { progress, version } };
    await this.dev.publish(this.reportTopic, layout ? layout(body) : JSON.stringify(body), 1);
  }

  /**
   * Everything received on $ota/update since the last call, once a barrier proves earlier messages have arrived.
   * `expected`: update_firmware notices a cloud action has just caused, waited for first (bounded): the action's answer
   * does not order the push with the barrier when another process of the hub (a cluster's worker) sends it.
   */
  async updatesSinceLast(expected = 0): Promise<any[]> {
    if (expected > 0) {
      const isUpdate = (x: { topic: string; payload: Buffer }) => x.topic === this.updateTopic && parse(x.payload)?.type === 'update_firmware';
      const arrived = () => this.dev.messages.slice(this.seen).filter(isUpdate).length >= expected;
      if (!arrived()) await this.dev.waitFor(() => arrived(), ROUND_TRIP_LIMIT_MS);
    }
    await selfLoop(this.dev, this.loopTopic);
    const fresh = this.dev.messages.slice(this.seen).filter((m) => m.topic === this.updateTopic).map((m) => parse(m.payload));
    this.seen = this.dev.messages.length;
    for (const u of fresh) this.h.expectSchema(O + 'updateMessage', u, `MQTT ${this.updateTopic}`);
    return fresh.filter((u) => u?.type === 'update_firmware');
  }
}

async function freshDevice(h: Harness): Promise<OtaDevice> {
  return OtaDevice.open(h, await product.addDevice(uniqueName('od').slice(0, 40)));
}

interface Download { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** GET with node:http so headers are seen as sent (Content-Length, Transfer-Encoding). */
function download(h: Harness, url: string, headers: Record<string, string> = {}): Promise<Download> {
  h.trace.add('http', `→ GET ${url} ${JSON.stringify(headers)}`);
  return collect(h, url, (done) => request(url, { method: 'GET', headers, timeout: 10_000 }, done));
}

/** HEAD with node:http: status and headers, and whatever body bytes arrive (there must be none). */
function head(h: Harness, url: string): Promise<Download> {
  h.trace.add('http', `→ HEAD ${url}`);
  return collect(h, url, (done) => request(url, { method: 'HEAD', timeout: 10_000 }, done));
}

/** What a small embedded HTTP client (the C SDK's) makes of a URL: host = everything between :// and the first /, port = the scheme's default. */
function strictParse(url: string): { secure: boolean; host: string; port: number; path: string } | undefined {
  const m = /^(https?):\/\/([^/]*)(\/.*)?$/i.exec(url);
  if (!m) return undefined;
  const secure = m[1]!.toLowerCase() === 'https';
  return { secure, host: m[2]!, port: secure ? 443 : 80, path: m[3] ?? '/' };
}

/** GET as the C SDK's HTTP client does it: to the strictly parsed host at the scheme's default port, Host naming that host. */
function strictDownload(h: Harness, url: string, headers: Record<string, string> = {}): Promise<Download> {
  const s = strictParse(url);
  if (!s) throw new Error(`${url} is not an http:// or https:// URL`);
  const options: RequestOptions = { host: s.host, port: s.port, path: s.path, method: 'GET', headers: { Host: s.host, ...headers }, timeout: 10_000 };
  h.trace.add('http', `→ GET ${s.path} on ${s.host} port ${s.port} (${url} read as an embedded client does) ${JSON.stringify(headers)}`);
  // https: the real service's certificates (system roots) or the target's own CA
  const ca = [...rootCertificates, ...(h.target.tls ? [h.target.tls.ca] : [])];
  return collect(h, url, (done) => (s.secure ? requestTls({ ...options, ca }, done) : request(options, done)));
}

function collect(h: Harness, url: string, send: (done: (res: import('node:http').IncomingMessage) => void) => import('node:http').ClientRequest): Promise<Download> {
  return new Promise((resolve, reject) => {
    const r = send((res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        h.trace.add('http', `← ${res.statusCode} ${JSON.stringify(res.headers)} ${body.length} bytes`);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`GET ${url} timed out`)));
    r.on('error', reject);
    r.end();
  });
}

function expectWhole(d: Download, bytes: Buffer): void {
  expect(d.status).toBe(200);
  expect(d.headers['transfer-encoding'], 'never chunked (the C SDK times out on chunked replies)').toBeUndefined();
  expect(Number(d.headers['content-length'])).toBe(bytes.length);
  expect(md5(d.body)).toBe(md5(bytes));
}

async function taskDevices(h: Harness, version: string, taskId: number): Promise<any[]> {
  const r = await h.api().call<{ Devices: any[] }>('DescribeFirmwareTaskDevices', {
    ProductID: product.productId, FirmwareVersion: version, Filters: [{ Key: 'TaskId', Value: String(taskId) }], Offset: 0, Limit: 100,
  });
  return r.Devices ?? [];
}

/** The device's row of a task: what OTA-018 and OTA-022 compare. */
async function row(h: Harness, version: string, taskId: number, deviceName: string): Promise<{ Status: number; Percent: number; Retcode: number }> {
  const r = (await taskDevices(h, version, taskId)).find((x) => x.DeviceName === deviceName);
  expect(r, `${deviceName} in DescribeFirmwareTaskDevices of task ${taskId}`).toBeDefined();
  return { Status: r.Status, Percent: r.Percent, Retcode: r.Retcode };
}

const statistics = (h: Harness, version: string) =>
  h.api().call<{ SuccessTotal: number; FailureTotal: number; UpgradingTotal: number }>('DescribeFirmwareTaskStatistics', { ProductID: product.productId, FirmwareVersion: version })
    .then(({ SuccessTotal, FailureTotal, UpgradingTotal }) => ({ SuccessTotal, FailureTotal, UpgradingTotal }));

const batch = (h: Harness, params: Record<string, unknown>) => h.api().call<{ TaskId: number }>('BatchUpdateFirmware', { ProductID: product.productId, ...params });

describe('versions', () => {
  req(['OTA-002', 'OTA-003'], 'report_version is answered and recorded; DescribeDevice and DescribeDevices show it', async (h) => {
    const d = await freshDevice(h);
    const v = newVersion('r');
    expect(await d.reportVersion(v, `{ "type" : "report_version",\n "report":{"version":"${v}"} }`)).toEqual({ result_code: 0, result_msg: 'success', type: 'report_version_rsp', version: v });
    const api = h.api();
    const dev = await api.call<{ Version: string }>('DescribeDevice', { ProductID: product.productId, DeviceName: d.creds.deviceName });
    expect(dev.Version).toBe(v);
    const list = await api.call<{ Devices: { DeviceName: string }[] }>('DescribeDevices', { ProductId: product.productId, Offset: 0, Limit: 100, FirmwareVersion: v });
    expect(list.Devices.map((x) => x.DeviceName)).toEqual([d.creds.deviceName]);
  });

  req(['OTA-023', 'OTA-003'], 'a report_version without a usable version is answered with a non-zero result_code and records nothing', async (h) => {
    const d = await freshDevice(h);
    const v = newVersion('k');
    await d.reportVersion(v);
    for (const report of [{}, { version: '' }, { version: 12 }, { version: null }, { version: [v] }, { version: { v } }]) {
      // reportVersion waits for the report_version_rsp that follows this report and checks it against reportVersionRsp
      const rsp = await d.reportVersion('', JSON.stringify({ type: 'report_version', report }));
      expect(rsp.type).toBe('report_version_rsp');
      expect(rsp.result_code, `report ${JSON.stringify(report)}`).not.toBe(0);
    }
    const dev = await h.api().call<{ Version: string }>('DescribeDevice', { ProductID: product.productId, DeviceName: d.creds.deviceName });
    expect(dev.Version, 'the version reported before').toBe(v);
  });
});

describe('firmware actions', () => {
  req(['OTA-013', 'OTA-014'], 'UploadFirmware registers a version once; DescribeFirmware and EditFirmware', async (h) => {
    const api = h.api();
    const v = newVersion('f');
    const bytes = await upload(h, v);
    expect(await apiCode(upload(h, v, bytes))).toBe('InvalidParameterValue.FirmwareAlreadyExist');
    const f = await api.call<Record<string, unknown>>('DescribeFirmware', { ProductID: product.productId, FirmwareVersion: v });
    expect(f).toMatchObject({ Version: v, ProductId: product.productId, Md5sum: md5(bytes), Name: `fw-${v}`, Description: 'hubcheck', FwType: 'mcu', ProductName: product.productName });
    await api.call('EditFirmware', { ProductID: product.productId, FirmwareVersion: v, FirmwareName: 'renamed', FirmwareDescription: 'new text' });
    expect(await api.call('DescribeFirmware', { ProductID: product.productId, FirmwareVersion: v })).toMatchObject({ Name: 'renamed', Description: 'new text' });
    const missing = newVersion('none');
    expect(await apiCode(api.call('DescribeFirmware', { ProductID: product.productId, FirmwareVersion: missing }))).toBe('ResourceNotFound.FirmwareNotExist');
    expect(await apiCode(api.call('EditFirmware', { ProductID: product.productId, FirmwareVersion: missing, FirmwareName: 'x' }))).toBe('ResourceNotFound.FirmwareNotExist');
  });

  req(['OTA-014', 'OTA-013'], 'DescribeFirmware returns the FwType given to UploadFirmware', async (h) => {
    for (const type of ['moudule', 'module', 'mcu']) {
      const v = newVersion('ft');
      await upload(h, v, randomBytes(100), { FwType: type });
      const f = await h.api().call<{ FwType: string }>('DescribeFirmware', { ProductID: product.productId, FirmwareVersion: v });
      expect(f.FwType, `UploadFirmware with FwType ${type}`).toBe(type);
    }
  });

  req(['OTA-010', 'OTA-011', 'OTA-015'], 'a HEAD of the firmware URL answers 200 with the GET\'s Content-Length and no body; Accept-Ranges, when sent, names bytes', async (h) => {
    const v = newVersion('hd');
    const bytes = await upload(h, v, randomBytes(4321));
    const { Url } = await h.api().call<{ Url: string }>('GetCOSURL', { ProductID: product.productId, FirmwareVersion: v });
    const got = await download(h, Url);
    expectWhole(got, bytes);
    const r = await head(h, Url);
    expect(r.status, 'HEAD status').toBe(200);
    expect(Number(r.headers['content-length']), 'HEAD Content-Length').toBe(bytes.length);
    expect(r.body.length, 'HEAD body').toBe(0);
    for (const [what, d] of [['GET', got], ['HEAD', r]] as const) {
      const ranges = d.headers['accept-ranges'];
      if (ranges === undefined) continue;
      const units = String(ranges).split(',').map((u) => u.trim().toLowerCase());
      expect(units, `${what} Accept-Ranges ${JSON.stringify(ranges)}`).toContain('bytes');
    }
  });

  req(['OTA-015', 'OTA-010'], 'GetCOSURL returns a URL serving the firmware with its Content-Length, not chunked', async (h) => {
    const v = newVersion('u');
    const bytes = await upload(h, v);
    const { Url } = await h.api().call<{ Url: string }>('GetCOSURL', { ProductID: product.productId, FirmwareVersion: v });
    expect(Url).toMatch(/^https?:\/\//);
    expectWhole(await download(h, Url), bytes);
  });
});

describe('upgrade tasks', () => {
  req(['OTA-001', 'OTA-009', 'OTA-010', 'OTA-016'], 'BatchUpdateFirmware by original version notifies exactly the devices on that version; the url serves the file with md5sum', async (h) => {
    const ori = newVersion('o');
    const [a, b] = [await freshDevice(h), await freshDevice(h)];
    await a.reportVersion(ori);
    await b.reportVersion(newVersion('other'));
    await Promise.all([a.updatesSinceLast(), b.updatesSinceLast()]);
    const v = newVersion('t');
    const bytes = await upload(h, v);
    const { TaskId } = await batch(h, { FirmwareVersion: v, FirmwareOriVersion: ori, TimeoutInterval: 600 });
    expect(Number.isInteger(TaskId)).toBe(true);
    const got = await a.updatesSinceLast(1);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: 'update_firmware', version: v, file_size: bytes.length });
    expect(await b.updatesSinceLast(), 'a device on another version gets nothing').toEqual([]);
    const d = await download(h, got[0].url);
    expectWhole(d, bytes);
    expect(md5(d.body), 'md5sum of update_firmware').toBe(got[0].md5sum);
  });

  req(['OTA-016'], 'BatchUpdateFirmware refuses a TimeoutInterval outside 60–3600 s and an unknown version', async (h) => {
    const v = newVersion('b');
    await upload(h, v);
    for (const t of [59, 3601]) expect(await apiCode(batch(h, { FirmwareVersion: v, FirmwareOriVersion: 'x', TimeoutInterval: t })), `TimeoutInterval ${t}`).toBe('InvalidParameterValue');
    expect(await apiCode(batch(h, { FirmwareVersion: newVersion('none'), FirmwareOriVersion: 'x' }))).toBe('ResourceNotFound.FirmwareNotExist');
  });

  req(['OTA-007', 'OTA-008'], 'an offline device gets update_firmware when it reports its version, and again on every report until it finishes', async (h) => {
    const creds = await product.addDevice(uniqueName('off').slice(0, 40));
    const v = newVersion('n');
    const bytes = await upload(h, v);
    await batch(h, { FirmwareVersion: v, DeviceNames: [creds.deviceName] });
    const d = await OtaDevice.open(h, creds);
    const old = newVersion('old');
    await d.reportVersion(old);
    const first = await d.updatesSinceLast(1);
    expect(first).toHaveLength(1);
    await d.progress(v, { state: 'downloading', percent: '30', result_code: '0', result_msg: '' });
    await d.dev.end();
    const again = await OtaDevice.open(h, creds); // reconnects after an interrupted download
    await again.reportVersion(old);
    const second = await again.updatesSinceLast(1);
    expect(second).toEqual(first);
    expect(second[0]).toMatchObject({ version: v, file_size: bytes.length, md5sum: md5(bytes) });
  });

  req(['OTA-004', 'OTA-005', 'OTA-006', 'OTA-018', 'OTA-020'], 'progress reports in any layout are recorded without an answer; status and statistics follow them', async (h) => {
    const ori = newVersion('p');
    const [ok, bad] = [await freshDevice(h), await freshDevice(h)];
    await ok.reportVersion(ori);
    await bad.reportVersion(ori);
    const v = newVersion('q');
    await upload(h, v);
    const { TaskId } = await batch(h, { FirmwareVersion: v, FirmwareOriVersion: ori });
    // each device's update_firmware, awaited: a cluster may push it from another worker after a self-loop barrier
    await Promise.all([ok.updatesSinceLast(1), bad.updatesSinceLast(1)]);
    const spaced = (o: unknown) => JSON.stringify(o, null, 4);
    await ok.progress(v, { state: 'downloading', percent: '10', result_code: '0', result_msg: '' }, spaced);
    await bad.progress(v, { state: 'downloading', percent: '55', result_code: '0', result_msg: '' });
    // OTA-004: nothing answers a progress report (a barrier: a later report_version's answer comes after anything it caused)
    expect(await ok.updatesSinceLast()).toEqual([]);
    await ok.reportVersion(ori);
    expect(ok.dev.received(ok.updateTopic).map((m) => parse(m.payload)?.type).filter((t) => t !== 'report_version_rsp' && t !== 'update_firmware')).toEqual([]);
    let rows = await taskDevices(h, v, TaskId);
    expect(rows.find((r) => r.DeviceName === bad.creds.deviceName)?.Percent).toBe(55);
    await ok.progress(v, { state: 'burning', result_code: '0', result_msg: '' });
    await bad.progress(v, { state: 'fail', result_code: '-4', result_msg: 'time_out' });
    await ok.progress(v, { state: 'done', result_code: '0', result_msg: '' });
    await Promise.all([ok.updatesSinceLast(), bad.updatesSinceLast()]);
    rows = await taskDevices(h, v, TaskId);
    const failed = rows.find((r) => r.DeviceName === bad.creds.deviceName);
    expect(failed?.Retcode).toBe(-4);
    const api = h.api();
    const stats = await api.call('DescribeFirmwareTaskStatistics', { ProductID: product.productId, FirmwareVersion: v });
    expect(stats).toMatchObject({ SuccessTotal: 1, FailureTotal: 1, UpgradingTotal: 0 });
    const tasks = await api.call<{ TaskInfos: any[]; Total: number }>('DescribeFirmwareTasks', { ProductID: product.productId, FirmwareVersion: v, Offset: 0, Limit: 10 });
    expect(tasks.TaskInfos.map((t) => t.TaskId)).toEqual([TaskId]);
    const task = await api.call('DescribeFirmwareTask', { ProductID: product.productId, FirmwareVersion: v, TaskId });
    expect(task).toMatchObject({ TaskId, ProductId: product.productId });
    const dist = await api.call<{ StatusInfos: { Status: number; Total: number }[] }>('DescribeFirmwareTaskDistribution', { ProductID: product.productId, FirmwareVersion: v, TaskId });
    expect(dist.StatusInfos.reduce((n, s) => n + s.Total, 0)).toBe(2);
    expect(new Set(dist.StatusInfos.map((s) => s.Status)).size).toBe(2);
  });

  req(['OTA-006'], 'every failure code -1…-5 is recorded whatever result_msg says', async (h) => {
    for (const code of ['-1', '-2', '-3', '-4', '-5']) {
      const d = await freshDevice(h);
      const v = newVersion(`e${code}`);
      await upload(h, v, randomBytes(100));
      const { TaskId } = await batch(h, { FirmwareVersion: v, DeviceNames: [d.creds.deviceName] });
      await d.progress(v, { state: 'fail', result_code: code, result_msg: 'time_out' });
      await d.updatesSinceLast();
      const rows = await taskDevices(h, v, TaskId);
      expect(rows.map((r) => r.Retcode), `result_code ${code}`).toEqual([Number(code)]);
    }
  });

  req(['OTA-017'], 'a device with an unfinished task cannot be put in another', async (h) => {
    const d = await freshDevice(h);
    const [v1, v2] = [newVersion('x'), newVersion('y')];
    await upload(h, v1, randomBytes(100));
    await upload(h, v2, randomBytes(100));
    await batch(h, { FirmwareVersion: v1, DeviceNames: [d.creds.deviceName] });
    expect(await apiCode(batch(h, { FirmwareVersion: v2, DeviceNames: [d.creds.deviceName] }))).toBe('FailedOperation.DeviceIsUpdating');
  });

  req(['OTA-019'], 'cancel stops update_firmware, retry sends it again, a finished or unknown task is refused', async (h) => {
    const d = await freshDevice(h);
    const v = newVersion('c');
    await upload(h, v, randomBytes(100));
    const { TaskId } = await batch(h, { FirmwareVersion: v, DeviceNames: [d.creds.deviceName] });
    expect(await d.updatesSinceLast(1)).toHaveLength(1);
    const api = h.api();
    const ids = { ProductID: product.productId, DeviceName: d.creds.deviceName, FirmwareVersion: v, TaskId };
    await api.call('CancelDeviceFirmwareTask', ids);
    await d.reportVersion('0.0.1');
    expect(await d.updatesSinceLast(), 'no update_firmware after cancel').toEqual([]);
    await api.call('RetryDeviceFirmwareTask', ids);
    expect(await d.updatesSinceLast(1)).toHaveLength(1);
    await d.progress(v, { state: 'done', result_code: '0', result_msg: '' });
    await d.updatesSinceLast();
    expect(await apiCode(api.call('CancelDeviceFirmwareTask', ids))).toBe('FailedOperation.DeviceFirmwareTaskAlreadDone');
    expect(await apiCode(api.call('RetryDeviceFirmwareTask', ids))).toBe('FailedOperation.DeviceFirmwareTaskAlreadDone');
    expect(await apiCode(api.call('CancelDeviceFirmwareTask', { ...ids, TaskId: TaskId + 100000 }))).toBe('ResourceNotFound.DeviceFirmwareTaskNotExist');
  });
});

describe('task device lists', () => {
  req(['OTA-020', 'OTA-018'], 'DescribeFirmwareTaskDevices lists every device without Filters, filters by DeviceName, pages with Offset and Limit, refuses a negative Offset', async (h) => {
    const names = [await product.addDevice(uniqueName('la').slice(0, 40)), await product.addDevice(uniqueName('lb').slice(0, 40))].map((c) => c.deviceName);
    const v = newVersion('l');
    await upload(h, v, randomBytes(100));
    await batch(h, { FirmwareVersion: v, DeviceNames: names });
    const api = h.api();
    const ids = { ProductID: product.productId, FirmwareVersion: v };
    type Page = { Total: number; Devices: { DeviceName: string }[] };
    const all = await api.call<Page>('DescribeFirmwareTaskDevices', ids); // Filters, Offset and Limit left out
    expect(all.Total).toBe(2);
    expect(all.Devices.map((x) => x.DeviceName).sort()).toEqual([...names].sort());
    const one = await api.call<Page>('DescribeFirmwareTaskDevices', { ...ids, Filters: [{ Key: 'DeviceName', Value: names[1] }] });
    expect(one.Devices.map((x) => x.DeviceName), 'Filters DeviceName').toEqual([names[1]]);
    expect(one.Total).toBe(1);
    const pages = [];
    for (const offset of [0, 1]) {
      const p = await api.call<Page>('DescribeFirmwareTaskDevices', { ...ids, Offset: offset, Limit: 1 });
      expect(p.Total, `Offset ${offset}`).toBe(2);
      expect(p.Devices, `Offset ${offset} Limit 1`).toHaveLength(1);
      pages.push(p.Devices[0]!.DeviceName);
    }
    expect(pages.sort(), 'two pages of one hold both devices').toEqual([...names].sort());
    expect(await apiCode(api.call('DescribeFirmwareTaskDevices', { ...ids, Offset: -1, Limit: 1 })), 'Offset -1').toBe('InvalidParameterValue');
  });
});

describe('undocumented progress states', () => {
  /** A device that got update_firmware from a task of its own; `ori` is the version it reported before (for the OTA-008 barrier). */
  async function upgrading(h: Harness) {
    const d = await freshDevice(h);
    const ori = newVersion('us');
    await d.reportVersion(ori);
    const v = newVersion('ut');
    await upload(h, v, randomBytes(64));
    const { TaskId } = await batch(h, { FirmwareVersion: v, DeviceNames: [d.creds.deviceName] });
    expect(await d.updatesSinceLast(1)).toHaveLength(1);
    return { d, ori, v, TaskId };
  }

  /** An upgrade whose device reported downloading at 40 %, with the task row and statistics as they stand then. */
  async function downloadingAt40(h: Harness) {
    const u = await upgrading(h);
    await u.d.progress(u.v, { state: 'downloading', percent: '40', result_code: '0', result_msg: '' });
    await u.d.resend(u.ori);
    const before = await row(h, u.v, u.TaskId, u.d.creds.deviceName);
    expect(before.Percent).toBe(40);
    return { ...u, before, stats: await statistics(h, u.v) };
  }

  req(['OTA-022', 'OTA-005'], 'a report_progress with a state outside downloading/burning/done/fail changes nothing', async (h) => {
    const { d, ori, v, TaskId, before, stats } = await downloadingAt40(h);
    for (const state of ['DONE', 'Done', 'done ', 'success', 'finished', 'failed', 'downloaded', 'upgrading', '', 'constructor', '__proto__', 3, null]) {
      await d.progress(v, { state, percent: '90', result_code: '-4', result_msg: 'time_out' });
    }
    await d.progress(v, { percent: '95', result_code: '0', result_msg: '' }); // no state at all
    await d.resend(ori); // every report above has been handled
    expect(await row(h, v, TaskId, d.creds.deviceName), 'the task row after undocumented states').toEqual(before);
    expect(await statistics(h, v)).toEqual(stats);
    await d.progress(v, { state: 'downloading', percent: '70', result_code: '0', result_msg: '' });
    await d.resend(ori);
    expect((await row(h, v, TaskId, d.creds.deviceName)).Percent, 'a documented state is still recorded').toBe(70);
  });

  req(['OTA-024', 'OTA-018'], 'a report_progress naming a version other than the task\'s target changes nothing', async (h) => {
    const { d, ori, v, TaskId, before, stats } = await downloadingAt40(h);
    for (const other of [ori, newVersion('stale'), `${v}.1`]) {
      await d.progress(other, { state: 'downloading', percent: '90', result_code: '0', result_msg: '' });
      await d.progress(other, { state: 'fail', result_code: '-4', result_msg: 'time_out' });
      await d.progress(other, { state: 'done', result_code: '0', result_msg: '' });
    }
    await d.resend(ori); // every report above has been handled, and the task is still unfinished
    expect(await row(h, v, TaskId, d.creds.deviceName), 'the task row after reports for other versions').toEqual(before);
    expect(await statistics(h, v)).toEqual(stats);
    await d.progress(v, { state: 'downloading', percent: '70', result_code: '0', result_msg: '' });
    await d.resend(ori);
    expect((await row(h, v, TaskId, d.creds.deviceName)).Percent, 'a report for the target version is still recorded').toBe(70);
  });

  const nearMiss = fc.constantFrom<unknown>(
    'Downloading', 'DOWNLOADING', 'downloading ', ' burning', 'Burning', 'burned', 'burn', 'Done', 'done\n', 'DONE', 'finished', 'success',
    'succeeded', 'complete', 'Fail', 'failed', 'failure', 'error', 'timeout', 'upgrading', 'updating', 'downloaded', '',
    'constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf',
  );
  const documented = ['downloading', 'burning', 'done', 'fail'];
  const badState = fc.oneof(
    { weight: 4, arbitrary: nearMiss },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }).filter((x) => !documented.includes(x)) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 3, 6, true, null, {}, ['done'], { state: 'done' }) },
    { weight: 1, arbitrary: fc.constant(undefined) }, // no state key
  );
  const badReport = fc.record({
    state: badState,
    percent: fc.constantFrom<unknown>('0', '55', '100', 99, undefined),
    result_code: fc.constantFrom<unknown>('0', '-1', '-4', -5, undefined),
  });

  reqProperty(['OTA-022', 'OTA-005', 'OTA-018'], 'generated reports with undocumented states leave the task row and statistics as they were',
    [fc.constantFrom('downloading', 'burning'), fc.array(badReport, { minLength: 1, maxLength: 5 }), fc.constantFrom('downloading', 'done', 'fail')],
    async (h, first, bad, last) => {
      const { d, ori, v, TaskId } = await upgrading(h);
      await d.progress(v, { state: first, percent: '33', result_code: '0', result_msg: '' });
      await d.resend(ori);
      const before = await row(h, v, TaskId, d.creds.deviceName);
      const stats = await statistics(h, v);
      for (const r of bad) {
        const progress: Record<string, unknown> = { result_msg: 'time_out' };
        for (const [k, x] of Object.entries(r)) if (x !== undefined) progress[k] = x;
        await d.progress(v, progress);
      }
      await d.resend(ori);
      expect(await row(h, v, TaskId, d.creds.deviceName), `row after ${JSON.stringify(bad)}`).toEqual(before);
      expect(await statistics(h, v)).toEqual(stats);
      await d.progress(v, { state: last, percent: '80', result_code: last === 'fail' ? '-2' : '0', result_msg: '' });
      await d.updatesSinceLast(); // the task may be finished now: no resend barrier, the self-loop one
      const expected = last === 'done' ? { SuccessTotal: 1, FailureTotal: 0, UpgradingTotal: 0 } : last === 'fail' ? { SuccessTotal: 0, FailureTotal: 1, UpgradingTotal: 0 } : { SuccessTotal: 0, FailureTotal: 0, UpgradingTotal: 1 };
      expect(await statistics(h, v), `statistics after a final ${last}`).toEqual(expected);
    }, { numRuns: 12 });
});

describe('TimeoutInterval', () => {
  /** The hub's test-clock offset in seconds; undefined without a test clock (with --long, nothing else moves time). */
  async function clockOffset(h: Harness): Promise<number | undefined> {
    return h.target.capabilities.includes('test-clock') ? (await advanceTestClock(h.api(), 0)).OffsetSeconds : undefined;
  }

  req(['OTA-021', 'OTA-018'], 'an upgrade still running TimeoutInterval after update_firmware is counted as failed, and not halfway', async (h) => {
    const d = await freshDevice(h);
    const v = newVersion('to');
    await upload(h, v, randomBytes(64));
    const start = await clockOffset(h);
    await batch(h, { FirmwareVersion: v, DeviceNames: [d.creds.deviceName], TimeoutInterval: 60 });
    expect(await d.updatesSinceLast(1)).toHaveLength(1);
    await d.progress(v, { state: 'downloading', percent: '20', result_code: '0', result_msg: '' });
    await d.updatesSinceLast();
    await h.advanceClock(30);
    const halfway = await statistics(h, v);
    const end = await clockOffset(h);
    // suites share the hub's clock: when another test advanced it meanwhile, halfway is not halfway
    if (start === undefined || end! - start === 30) expect(halfway, '30 s into a 60 s TimeoutInterval').toEqual({ SuccessTotal: 0, FailureTotal: 0, UpgradingTotal: 1 });
    else h.trace.add('test-clock', `the hub clock moved ${end! - start} s instead of 30 s (another test advanced it): the halfway check is skipped`);
    await h.advanceClock(31);
    expect(await statistics(h, v), '61 s into a 60 s TimeoutInterval').toEqual({ SuccessTotal: 0, FailureTotal: 1, UpgradingTotal: 0 });
  }, { timeout: currentTarget().capabilities.includes('test-clock') ? 60_000 : 240_000 });
});

describe('downloads', () => {
  req(['OTA-012', 'OTA-001', 'OTA-015'], 'firmware URLs name no port: an embedded client reading up to the first / as the host downloads and resumes at the default port', async (h) => {
    const d = await freshDevice(h);
    const v = newVersion('dp');
    const bytes = await upload(h, v, randomBytes(3000));
    await batch(h, { FirmwareVersion: v, DeviceNames: [d.creds.deviceName] });
    const [notice] = await d.updatesSinceLast(1);
    expect(notice, 'update_firmware').toBeDefined();
    const { Url } = await h.api().call<{ Url: string }>('GetCOSURL', { ProductID: product.productId, FirmwareVersion: v });
    for (const [what, url] of [['update_firmware url', notice.url], ['GetCOSURL Url', Url]] as const) {
      const s = strictParse(url);
      expect(s, `${what} ${url}: http:// or https://`).toBeDefined();
      expect(s!.host, `${what} ${url}: an embedded client looks up "${s!.host}" as the host name and connects to port ${s!.port}`).not.toMatch(/:/);
      const whole = await strictDownload(h, url);
      expectWhole(whole, bytes);
      expect(md5(whole.body), `${what}: the file has the md5sum of update_firmware`).toBe(notice.md5sum);
      const resumed = await strictDownload(h, url, { Range: `bytes=1000-${bytes.length}` }); // the C SDK's resume
      expect(resumed.status).toBe(206);
      expect(resumed.body.equals(bytes.subarray(1000)), `${what}: the resumed bytes`).toBe(true);
    }
  });
  req(['OTA-011'], 'Range resumes a download with 206, also when the end runs one byte past the file (C SDK)', async (h) => {
    const v = newVersion('g');
    const bytes = await upload(h, v, randomBytes(5000));
    const { Url } = await h.api().call<{ Url: string }>('GetCOSURL', { ProductID: product.productId, FirmwareVersion: v });
    for (const [range, start] of [[`bytes=1000-${bytes.length}`, 1000], ['bytes=1000-', 1000], [`bytes=0-${bytes.length - 1}`, 0], [`bytes=${bytes.length - 1}-${bytes.length}`, bytes.length - 1]] as const) {
      const d = await download(h, Url, { Range: range });
      expect(d.status, range).toBe(206);
      expect(d.headers['content-range'], range).toBe(`bytes ${start}-${bytes.length - 1}/${bytes.length}`);
      expect(Number(d.headers['content-length']), range).toBe(bytes.length - start);
      expect(d.headers['transfer-encoding']).toBeUndefined();
      expect(d.body.equals(bytes.subarray(start)), range).toBe(true);
    }
  });

  req(['OTA-011'], 'a Range ending inside the file returns exactly its bytes; an invalid one (bytes=-) is ignored or refused, never 206', async (h) => {
    const v = newVersion('gr');
    const bytes = await upload(h, v, randomBytes(3000));
    const { Url } = await h.api().call<{ Url: string }>('GetCOSURL', { ProductID: product.productId, FirmwareVersion: v });
    for (const [range, start, end] of [['bytes=10-19', 10, 19], ['bytes=0-0', 0, 0], [`bytes=100-${bytes.length - 2}`, 100, bytes.length - 2]] as const) {
      const d = await download(h, Url, { Range: range });
      expect(d.status, range).toBe(206);
      expect(d.headers['content-range'], range).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(d.body.equals(bytes.subarray(start, end + 1)), `${range}: bytes ${start} through ${end}`).toBe(true);
    }
    const invalid = await download(h, Url, { Range: 'bytes=-' });
    if (invalid.status === 200) expect(invalid.body.equals(bytes), 'bytes=- ignored: the whole file').toBe(true);
    else expect(invalid.status, 'bytes=- refused with a 4xx status, not 206').toBeGreaterThanOrEqual(400);
    expect(invalid.status, 'bytes=-').toBeLessThan(500);
  });

  reqProperty(['OTA-011', 'OTA-010'], 'downloads interrupted at generated offsets and resumed give the exact bytes and MD5',
    [fc.integer({ min: 1, max: 30_000 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }), fc.boolean()],
    async (h, size, cuts, cStyle) => {
      const v = newVersion('pr');
      const bytes = await upload(h, v, randomBytes(size));
      const { Url } = await h.api().call<{ Url: string }>('GetCOSURL', { ProductID: product.productId, FirmwareVersion: v });
      const offsets = [...new Set(cuts.map((c) => Math.min(size - 1, Math.floor(c * size))))].sort((a, b) => a - b);
      const parts: Buffer[] = [];
      let have = 0;
      for (const next of [...offsets.filter((o) => o > 0), size]) {
        // each connection "breaks" at the next offset: keep only the bytes up to it, then resume from there
        const d = await download(h, Url, have === 0 && !cStyle ? {} : { Range: cStyle ? `bytes=${have}-${size}` : `bytes=${have}-` });
        expect([200, 206]).toContain(d.status);
        if (have > 0) expect(d.status).toBe(206);
        expect(Number(d.headers['content-length'])).toBe(d.body.length);
        parts.push(d.body.subarray(0, next - have));
        have = next;
      }
      const whole = Buffer.concat(parts);
      expect(whole.length).toBe(size);
      expect(md5(whole)).toBe(md5(bytes));
    }, { numRuns: 20 });
});

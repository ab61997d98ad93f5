// Device log (protocol.md §6, seed §1.6): get_log_level over $log, level pushes, POST /device/reportlog and reading uploads with ListSDKLog.
import { randomBytes } from 'node:crypto';
import { describe, expect } from 'vitest';
import { ApiError } from '../src/client/cloud-api.js';
import { gateway } from './support/gateway.js';
import { req, type Harness } from './support/harness.js';
import { useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const product = useProduct('log', { devices: ['fresh', 'tuned', 'uploader', 'pusher'] });

const topics = (c: DeviceCredentials) => ({ op: `$log/operation/${c.productId}/${c.deviceName}`, result: `$log/operation/result/${c.productId}/${c.deviceName}` });

async function askLevel(h: Harness, c: DeviceCredentials): Promise<Record<string, unknown>> {
  const t = topics(c);
  const device = await h.device(c);
  expect(await device.subscribe(t.result, 1)).toBe(1);
  const clientToken = `${c.productId}-${randomBytes(3).toString('hex')}`;
  await device.publish(t.op, JSON.stringify({ type: 'get_log_level', clientToken }), 1);
  const reply = await device.waitFor((m) => m.topic === t.result && m.payload.toString().includes(clientToken), ROUND_TRIP_LIMIT_MS);
  expect(reply, `a get_log_level reply on ${t.result}`).toBeDefined();
  const body = JSON.parse(reply!.payload.toString('utf8')) as Record<string, unknown>;
  h.expectSchema('log.schema.json#/$defs/getLogLevelReply', body, `MQTT ${t.result}`);
  expect(body.clientToken, 'clientToken echoed').toBe(clientToken);
  expect(body.result).toBe(0);
  expect(Math.abs((body.timestamp as number) - Date.now() / 1000), 'timestamp in Unix seconds, near now').toBeLessThan(60);
  await device.end();
  return body;
}

/** Signs and posts a reportlog as the device. */
function report(h: Harness, c: DeviceCredentials, body: unknown, o: { secret?: string; headers?: Record<string, string | undefined> } = {}) {
  return gateway(h).call({ path: '/device/reportlog', body, secret: o.secret ?? c.psk, ...(o.headers ? { headers: o.headers } : {}) });
}

/** Lines ListSDKLog returns for the device whose content contains `word`. */
async function readBack(h: Harness, c: DeviceCredentials, word: string, extra = ''): Promise<{ Level: string; Content: string; DateTime: string }[]> {
  const now = Date.now();
  const r = await h.api().call<{ Results: { ProductID: string; DeviceName: string; Level: string; Content: string; DateTime: string }[]; Listover: boolean }>('ListSDKLog', {
    MinTime: now - 3600_000, MaxTime: now + 60_000, Keywords: `productid:${c.productId} devicename:${c.deviceName} ${word} ${extra}`.trim(), MaxNum: 100,
  });
  for (const item of r.Results) expect([item.ProductID, item.DeviceName]).toEqual([c.productId, c.deviceName]);
  return r.Results;
}

describe('log level', () => {
  req(['LOG-001', 'LOG-002'], 'get_log_level is answered with the clientToken and level 0 for a device whose level was never set', async (h) => {
    const body = await askLevel(h, product.device('fresh'));
    expect(body.log_level).toBe(0);
  });

  req(['LOG-004', 'LOG-002'], 'a level set on the platform is pushed to the device and then answered by get_log_level', async (h) => {
    const c = product.device('pusher');
    const t = topics(c);
    const device = await h.device(c);
    expect(await device.subscribe(t.result, 1)).toBe(1);
    try {
      // Extension: UpdateDeviceLogLevel is a 2021-04-08 action; a 2018-06-14 hub may not serve it
      await h.api().call('UpdateDeviceLogLevel', { ProductId: c.productId, DeviceName: c.deviceName, LogLevel: 3 });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'InvalidAction') return h.ctx.skip('the target has no UpdateDeviceLogLevel action to change a level with');
      throw e;
    }
    const push = await device.waitFor((m) => m.topic === t.result, ROUND_TRIP_LIMIT_MS);
    expect(push, `a level push on ${t.result}`).toBeDefined();
    const body = JSON.parse(push!.payload.toString('utf8')) as Record<string, unknown>;
    h.expectSchema('log.schema.json#/$defs/logLevelPush', body, `MQTT ${t.result}`);
    expect(body.log_level).toBe(3);
    await device.end();
    expect((await askLevel(h, c)).log_level, 'get_log_level answers the new level').toBe(3);
  });
});

describe('upload', () => {
  req(['LOG-005', 'LOG-006', 'LOG-008'], 'signed uploads with every level tag, one element holding many lines, are stored and read back with ListSDKLog', async (h) => {
    const c = product.device('uploader');
    const word = `w${randomBytes(4).toString('hex')}`;
    const answer = await report(h, c, {
      ProductId: c.productId, DeviceName: c.deviceName,
      Message: [`DBGdebug ${word}`, `INFmqtt connect success. ${word}`, `WRNwarning ${word}\nERRerror in the same element ${word}`],
    });
    expect(answer.status).toBe(200);
    h.expectSchema('log.schema.json#/$defs/reportLogAnswer', answer.json, 'HTTP answer to /device/reportlog');
    expect(answer.json?.Response?.Error, 'no error').toBeUndefined();
    const lines = await readBack(h, c, word);
    expect(lines.map((l) => l.Content)).toEqual([`debug ${word}`, `mqtt connect success. ${word}`, `warning ${word}`, `error in the same element ${word}`]);
    expect(new Set(lines.map((l) => l.Level)).size, 'four distinct levels').toBe(4);
    const warn = await readBack(h, c, word, 'loglevel:WARN');
    expect(warn.map((l) => l.Content), 'loglevel:WARN selects the WRN line').toEqual([`warning ${word}`]);
  });

  req(['LOG-007'], 'uploads without fields, unsigned or with a bad signature are refused and store nothing', async (h) => {
    const c = product.device('uploader');
    const word = `bad${randomBytes(4).toString('hex')}`;
    const body = { ProductId: c.productId, DeviceName: c.deviceName, Message: [`ERRmust not be stored ${word}`] };
    const cases: [string, Promise<Awaited<ReturnType<typeof report>>>][] = [
      ['bad signature', report(h, c, body, { secret: `${c.psk}x` })],
      ['no signature headers', report(h, c, body, { headers: { 'X-TC-Signature': undefined, 'X-TC-Algorithm': undefined, 'X-TC-Nonce': undefined, 'X-TC-Timestamp': undefined } })],
      ['no Message', report(h, c, { ProductId: c.productId, DeviceName: c.deviceName })],
      ['Message not an array', report(h, c, { ...body, Message: `ERR${word}` })],
      ['no DeviceName', report(h, c, { ProductId: c.productId, Message: body.Message })],
    ];
    for (const [name, pending] of cases) {
      const a = await pending;
      expect(a.json?.Response?.Error?.Code, `${name}: refused with Response.Error`).toEqual(expect.any(String));
      h.expectSchema('log.schema.json#/$defs/reportLogAnswer', a.json, `HTTP answer to /device/reportlog (${name})`);
    }
    expect(await readBack(h, c, word), 'nothing was stored').toEqual([]);
  });

  req(['LOG-008'], 'ListSDKLog refuses an unknown product and answers an empty window with Listover true', async (h) => {
    const api = h.api();
    const now = Date.now();
    await expect(api.call('ListSDKLog', { MinTime: now - 1000, MaxTime: now, Keywords: 'productid:NOSUCHPROD' })).rejects.toMatchObject({ code: 'ResourceNotFound.ProductNotExist' });
    const empty = await api.call<{ Results: unknown[]; Listover: boolean }>('ListSDKLog', { MinTime: 1000, MaxTime: 2000, Keywords: `productid:${product.productId}` });
    expect(empty.Results).toEqual([]);
    expect(empty.Listover).toBe(true);
  });
});

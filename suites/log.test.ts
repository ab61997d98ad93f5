// Device log (protocol.md §6, seed §1.6): get_log_level over $log, level pushes, POST /device/reportlog, the legacy
// POST /cgi-bin/report-log, and reading uploads with ListSDKLog.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ApiError } from '../src/client/cloud-api.js';
import { LEGACY_LOG_HEADER, legacyLogBody, legacyLogSignature, type LegacyLogInput } from '../src/protocol/http-sign.js';
import { gateway } from './support/gateway.js';
import { req, reqProperty, type Harness } from './support/harness.js';
import { uniqueName, useProduct, type DeviceCredentials } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS } from './support/wire.js';

const product = useProduct('log', { devices: ['fresh', 'tuned', 'uploader', 'pusher', 'veteran', 'bystander', 'pager'] });

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
async function readBack(h: Harness, c: Pick<DeviceCredentials, 'productId' | 'deviceName'>, word: string, extra = ''): Promise<{ Level: string; Content: string; DateTime: string }[]> {
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
      // after a tagged element, so a hub that let it continue the entry before it would store it
      ['Message element without a level tag', report(h, c, { ...body, Message: [...body.Message, `no tag ${word}`] })],
      ['Message element not a string', report(h, c, { ...body, Message: [...body.Message, 7] })],
      ['no DeviceName', report(h, c, { ProductId: c.productId, Message: body.Message })],
    ];
    for (const [name, pending] of cases) {
      const a = await pending;
      expect(a.json?.Response?.Error?.Code, `${name}: refused with Response.Error`).toEqual(expect.any(String));
      // the device sent something wrong: a client error, never the hub's own failure
      expect(a.json?.Response?.Error?.Code, `${name}: not an internal error`).not.toMatch(/^InternalError/);
      expect(a.status, `${name}: not a server error status`).toBeLessThan(500);
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

/** Pages through ListSDKLog for the device's lines containing `word`, following Context until Listover (at most 10 pages). */
async function readPages(h: Harness, c: DeviceCredentials, word: string, maxNum?: number): Promise<{ contents: string[]; sizes: number[] }> {
  const now = Date.now();
  const contents: string[] = [];
  const sizes: number[] = [];
  let context: string | undefined;
  for (let page = 0; page < 10; page++) {
    const r = await h.api().call<{ Results: { ProductID: string; DeviceName: string; Content: string }[]; Listover: boolean; Context: string }>('ListSDKLog', {
      MinTime: now - 3600_000, MaxTime: now + 60_000, Keywords: `productid:${c.productId} devicename:${c.deviceName} ${word}`,
      ...(maxNum !== undefined ? { MaxNum: maxNum } : {}), ...(context !== undefined ? { Context: context } : {}),
    });
    sizes.push(r.Results.length);
    contents.push(...r.Results.map((item) => item.Content));
    if (r.Listover) return { contents, sizes };
    expect(r.Context, `page ${page + 1}: Listover false comes with a Context to ask for the next page`).toEqual(expect.any(String));
    context = r.Context;
  }
  throw new Error(`ListSDKLog still had lines after 10 pages for ${word} (MaxNum ${String(maxNum)})`);
}

describe('reading logs', () => {
  req(['LOG-011', 'LOG-005'], 'ListSDKLog returns at most MaxNum lines a page and pages on with Context until Listover, with or without MaxNum', async (h) => {
    const c = product.device('pager');
    const word = `page${randomBytes(4).toString('hex')}`;
    const sent = [`one ${word}`, `two ${word}`, `three ${word}`];
    const answer = await report(h, c, { ProductId: c.productId, DeviceName: c.deviceName, Message: sent.map((l) => `INF${l}`) });
    expect(answer.json?.Response?.Error, 'the upload is accepted').toBeUndefined();
    const paged = await readPages(h, c, word, 1);
    for (const [i, n] of paged.sizes.entries()) expect(n, `page ${i + 1} with MaxNum 1`).toBeLessThanOrEqual(1);
    expect([...paged.contents].sort(), 'MaxNum 1: every line once over the pages').toEqual([...sent].sort());
    const whole = await readPages(h, c, word);
    expect([...whole.contents].sort(), 'without MaxNum: every line once').toEqual([...sent].sort());
  });
});

describe('DescribeDevice', () => {
  req(['LOG-003'], 'DescribeDevice.LogLevel is the level get_log_level answers, before and after a change', async (h) => {
    const c = product.device('tuned');
    const described = async () => (await h.api().call<{ LogLevel: number }>('DescribeDevice', { ProductID: c.productId, DeviceName: c.deviceName })).LogLevel;
    expect(await described(), 'LogLevel of a device never set').toBe((await askLevel(h, c)).log_level);
    try {
      await h.api().call('UpdateDeviceLogLevel', { ProductId: c.productId, DeviceName: c.deviceName, LogLevel: 2 });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'InvalidAction') return h.ctx.skip('the target has no UpdateDeviceLogLevel action to change a level with');
      throw e;
    }
    const answered = (await askLevel(h, c)).log_level;
    expect(answered, 'the level was changed').toBe(2);
    expect(await described(), 'LogLevel after the change').toBe(answered);
  });
});

/** Posts a legacy upload as the C SDK does: text/plain, the signed header and "\n\f"-terminated entries. */
function legacyUpload(h: Harness, body: string) {
  return gateway(h).post('/cgi-bin/report-log', body, { contentType: 'text/plain;charset=utf-8' });
}

const stamp = (tag: string, word: string) => `${tag}|2024-05-01 12:00:00|mqtt_client.c|connect(42): ${word}`;

describe('legacy upload', () => {
  req(['LOG-009', 'LOG-008'], 'a /cgi-bin/report-log body signed with the PSK\'s first 24 characters is answered Retcode 0 and its entries are stored', async (h) => {
    const c = product.device('veteran');
    for (const [what, timestamp] of [['hub time', Math.floor(Date.now() / 1000)], ['timestamp 0 (no $sys time)', 0]] as const) {
      const word = `legacy${randomBytes(4).toString('hex')}`;
      const body = legacyLogBody({ key: c.psk, productId: c.productId, deviceName: c.deviceName, timestamp, entries: [stamp('ERR', `${word} one`), stamp('DBG', `${word} two`), stamp('WRN', `${word} three`)] });
      expect(body.slice(LEGACY_LOG_HEADER.signature, LEGACY_LOG_HEADER.signature + 4), 'control bytes').toBe('P###');
      const a = await legacyUpload(h, body);
      h.expectSchema('log.schema.json#/$defs/legacyReportLogReply', a.json, `HTTP answer to /cgi-bin/report-log (${what})`);
      expect(a.json?.Retcode, `${what}: Retcode 0 (HTTP ${a.status} ${a.text.slice(0, 200)})`).toBe(0);
      const lines = await readBack(h, c, word);
      expect(lines.map((l) => l.Content.includes(word)), `${what}: the three entries are stored`).toEqual([true, true, true]);
      expect(new Set(lines.map((l) => l.Level)).size, `${what}: three levels from the tags`).toBe(3);
    }
  });

  type LegacyTamper =
    | { kind: 'entry'; at: number }
    | { kind: 'header'; field: 'productId' | 'deviceName' | 'timestamp' | 'control' }
    | { kind: 'signature'; at: number }
    | { kind: 'key'; key: 'other-device' | 'decoded-psk' | 'short-key' | 'lowercase' }
    | { kind: 'unsigned' };

  const legacyTampers: fc.Arbitrary<LegacyTamper> = fc.oneof(
    fc.record({ kind: fc.constant('entry' as const), at: fc.nat({ max: 200 }) }),
    fc.record({ kind: fc.constant('header' as const), field: fc.constantFrom('productId' as const, 'deviceName' as const, 'timestamp' as const, 'control' as const) }),
    fc.record({ kind: fc.constant('signature' as const), at: fc.nat({ max: 39 }) }),
    fc.record({ kind: fc.constant('key' as const), key: fc.constantFrom('other-device' as const, 'decoded-psk' as const, 'short-key' as const, 'lowercase' as const) }),
    fc.record({ kind: fc.constant('unsigned' as const) }),
  );

  /** One character changed (never to itself). */
  const flip = (s: string, i: number, alphabet = '0123456789abcdef') => s.slice(0, i) + (s[i] === alphabet[0] ? alphabet[1] : alphabet[0]) + s.slice(i + 1);

  reqProperty(['LOG-010'], 'legacy uploads whose signature does not match their bytes get a non-zero Retcode and store nothing', [legacyTampers], async (h, t) => {
    const c = product.device('veteran');
    const other = product.device('bystander');
    const word = `forged${randomBytes(4).toString('hex')}`;
    const input: LegacyLogInput = { key: c.psk, productId: c.productId, deviceName: c.deviceName, timestamp: Math.floor(Date.now() / 1000), entries: [stamp('ERR', `${word} must not be stored`), stamp('INF', word)] };
    const H = LEGACY_LOG_HEADER;
    let body = legacyLogBody(input);
    const resign = (b: string) => legacyLogSignature(c.psk, b.slice(H.signature));
    switch (t.kind) {
      case 'entry': {
        const i = H.total + (t.at % (body.length - H.total));
        body = body.slice(0, i) + (body[i] === 'Q' ? 'R' : 'Q') + body.slice(i + 1);
        break;
      }
      case 'header': {
        // another device's name (or product, or time) after signing: the signature no longer covers what is sent
        const field = t.field === 'deviceName' ? legacyLogBody({ ...input, deviceName: other.deviceName }) : t.field === 'productId' ? legacyLogBody({ ...input, productId: other.productId.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')) }) : t.field === 'timestamp' ? legacyLogBody({ ...input, timestamp: input.timestamp + 1 }) : legacyLogBody({ ...input, control: 'C' });
        body = body.slice(0, H.signature) + field.slice(H.signature);
        break;
      }
      case 'signature': body = flip(body, t.at) ; break;
      case 'key': {
        const key = { 'other-device': other.psk, 'decoded-psk': Buffer.from(c.psk, 'base64').toString('latin1'), 'short-key': c.psk.slice(0, 23), lowercase: c.psk.toLowerCase() === c.psk ? c.psk.toUpperCase() : c.psk.toLowerCase() }[t.key];
        body = legacyLogBody({ ...input, key });
        break;
      }
      case 'unsigned': body = '#'.repeat(H.signature) + body.slice(H.signature); break;
    }
    expect(body === legacyLogBody(input) || (t.kind !== 'unsigned' && resign(body) === body.slice(0, H.signature)), 'the tampered body no longer carries its own signature').toBe(false);
    const a = await legacyUpload(h, body);
    h.expectSchema('log.schema.json#/$defs/legacyReportLogReply', a.json, `HTTP answer to /cgi-bin/report-log (${t.kind})`);
    expect(a.json?.Retcode, `${t.kind}: a non-zero Retcode (${a.text.slice(0, 200)})`).not.toBe(0);
    expect(typeof a.json?.Retcode, 'Retcode is a number').toBe('number');
    expect(await readBack(h, c, word), 'nothing was stored').toEqual([]);
  }, { numRuns: 25 });

  req(['LOG-010'], 'a legacy upload signed with the PSK but whose control byte is neither P nor C gets a non-zero Retcode and stores nothing', async (h) => {
    const c = product.device('veteran');
    for (const control of ['X', 'p', '#']) {
      const word = `ctl${randomBytes(4).toString('hex')}`;
      const body = legacyLogBody({ key: c.psk, productId: c.productId, deviceName: c.deviceName, timestamp: Math.floor(Date.now() / 1000), entries: [stamp('ERR', `${word} must not be stored`)], control });
      const a = await legacyUpload(h, body);
      h.expectSchema('log.schema.json#/$defs/legacyReportLogReply', a.json, `HTTP answer to /cgi-bin/report-log (control ${control})`);
      expect(a.json?.Retcode, `control byte ${JSON.stringify(control)}: a non-zero Retcode (${a.text.slice(0, 200)})`).not.toBe(0);
      expect(typeof a.json?.Retcode, 'Retcode is a number').toBe('number');
      expect(await readBack(h, c, word), `control byte ${JSON.stringify(control)}: nothing was stored`).toEqual([]);
    }
  });

  req(['LOG-012', 'LOG-008'], 'a certificate device\'s C### upload keyed with its certificate\'s first Base64 line is answered Retcode 0 and stored; another key is refused', async (h) => {
    if (!h.target.capabilities.includes('cert-auth')) return h.ctx.skip('the target does not offer cert-auth, which creating a certificate device needs');
    const api = h.api();
    const p = await api.call<{ ProductId: string }>('CreateProduct', { ProductName: uniqueName('logcert').slice(0, 32), ProductProperties: { ProductDescription: 'hubcheck certificate log fixture', EncryptionType: '1' } });
    const deviceName = 'clogger';
    try {
      const d = await api.call<{ DeviceCert: string }>('CreateDevice', { ProductId: p.ProductId, DeviceName: deviceName });
      // the C SDK's _gen_key_from_file: the line after "-----BEGIN ", cut to 24 characters by legacyLogBody
      const pem = d.DeviceCert.split(/\r?\n/);
      const begin = pem.findIndex((l) => l.startsWith('-----BEGIN '));
      expect(begin, 'the certificate is PEM').toBeGreaterThanOrEqual(0);
      const device = { productId: p.ProductId, deviceName };
      const upload = async (what: string, key: string) => {
        const word = `cert${randomBytes(4).toString('hex')}`;
        const body = legacyLogBody({ key, control: 'C', productId: p.ProductId, deviceName, timestamp: Math.floor(Date.now() / 1000), entries: [stamp('ERR', `${word} one`), stamp('INF', `${word} two`)] });
        const a = await legacyUpload(h, body);
        h.expectSchema('log.schema.json#/$defs/legacyReportLogReply', a.json, `HTTP answer to /cgi-bin/report-log (${what})`);
        return { retcode: a.json?.Retcode, text: a.text.slice(0, 200), stored: await readBack(h, device, word) };
      };
      const good = await upload('certificate key', pem[begin + 1]!);
      expect(good.retcode, `certificate key: Retcode 0 (${good.text})`).toBe(0);
      expect(good.stored.length, 'both entries are stored').toBe(2);
      expect(new Set(good.stored.map((l) => l.Level)).size, 'two levels from the ERR and INF tags').toBe(2);
      for (const [what, key] of [['the BEGIN line', pem[begin]!], ['the second Base64 line', pem[begin + 2]!]] as const) {
        const bad = await upload(what, key);
        expect(bad.retcode, `keyed with ${what}: a non-zero Retcode (${bad.text})`).not.toBe(0);
        expect(bad.stored, `keyed with ${what}: nothing was stored`).toEqual([]);
      }
    } finally {
      await api.call('DeleteDevice', { ProductId: p.ProductId, DeviceName: deviceName }).catch(() => {});
      await api.call('DeleteProduct', { ProductId: p.ProductId });
    }
  });
});

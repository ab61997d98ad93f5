// Device log: get_log_level over $log topics, level pushes, POST /device/reportlog, the legacy POST /cgi-bin/report-log,
// and reading uploads back with ListSDKLog (protocol.md §6).

import type { Action } from '../../api/context.js';
import { invalid, productNotExist } from '../../api/errors.js';
import { DEVICE_NAME, optInt, optString, PRODUCT_ID, reqInt, reqString } from '../../api/params.js';
import { requireDevice } from '../../api/views.js';
import { badField, gatewayRoute, readSignedRequest } from '../http-gateway/request.js';
import type { HubService, ServiceContext } from '../types.js';
import { legacyReportLog } from './legacy.js';
import { LogStore, type LogLine } from './store.js';

/** reportlog bodies up to 1 MiB: the Java SDK sends all queued lines in one element. */
const MAX_REPORTLOG_BODY_BYTES = 1024 * 1024;
/** ListSDKLog page size when MaxNum is absent, and its ceiling (undocumented; hub/README.md). */
const DEFAULT_MAX_NUM = 50;
const MAX_MAX_NUM = 1000;
/** Level tags of uploaded lines (protocol.md §6.2) and the level names ListSDKLog reports and filters by. */
const TAGS: Readonly<Record<string, string>> = { DBG: 'DEBUG', INF: 'INFO', WRN: 'WARN', ERR: 'ERROR' };
const LEVEL_NAMES = new Map<string, string>([...Object.entries(TAGS), ...Object.values(TAGS).map((v) => [v, v] as [string, string])]);

const STORES = new WeakMap<ServiceContext, LogStore>();

export function store(ctx: ServiceContext): LogStore {
  const s = STORES.get(ctx);
  if (!s) throw new Error('the log service was not started for this hub');
  return s;
}

/** The level get_log_level answers the device with, for DescribeDevice.LogLevel (LOG-003); 0 when the service is not running. */
export function logLevelOf(ctx: ServiceContext, productId: string, deviceName: string): number {
  if (ctx.faults.has('log-level-not-described')) return 0;
  return STORES.get(ctx)?.level(productId, deviceName) ?? 0;
}

const nowSeconds = (ctx: ServiceContext) => Math.floor(ctx.clock.now() / 1000);

/**
 * Splits Message elements into entries: each starts with a level tag; a line without one continues the
 * entry before it (one element may hold many lines, as the Java SDK sends: LOG-006).
 */
export function parseLogMessages(messages: unknown): { level: string; content: string }[] {
  if (!Array.isArray(messages) || messages.length === 0) throw badField('Message', 'a non-empty array of log lines, each starting with DBG, INF, WRN or ERR', messages);
  const entries: { level: string; content: string }[] = [];
  messages.forEach((element, i) => {
    if (typeof element !== 'string' || !TAGS[element.slice(0, 3)]) {
      throw badField(`Message.${i}`, 'a string starting with a level tag DBG, INF, WRN or ERR', element);
    }
    for (const line of element.split(/\r?\n/)) {
      const level = TAGS[line.slice(0, 3)];
      if (level) entries.push({ level, content: line.slice(3) });
      else if (line !== '') entries[entries.length - 1]!.content += `\n${line}`;
    }
  });
  return entries;
}

/** Keywords of ListSDKLog: `productid:X devicename:Y loglevel:WARN` plus free words (all must match). */
function parseKeywords(text: string): { productId?: string; deviceName?: string; level?: string; words: string[] } {
  const out: { productId?: string; deviceName?: string; level?: string; words: string[] } = { words: [] };
  for (const token of text.split(/\s+/).filter(Boolean)) {
    const colon = token.indexOf(':');
    if (colon <= 0) {
      out.words.push(token);
      continue;
    }
    const key = token.slice(0, colon).toLowerCase();
    const value = token.slice(colon + 1);
    if (key === 'productid') out.productId = value;
    else if (key === 'devicename') out.deviceName = value;
    else if (key === 'loglevel') {
      const level = LEVEL_NAMES.get(value.toUpperCase());
      if (!level) throw invalid('Keywords', 'loglevel:DEBUG, INFO, WARN or ERROR', token);
      out.level = level;
    } else throw invalid('Keywords', 'words and productid:, devicename:, loglevel: keys', token);
  }
  return out;
}

const ListSDKLog: Action = {
  params: ['MinTime', 'MaxTime', 'Keywords', 'Context', 'MaxNum'],
  run(actx, p) {
    const ctx = actx.hub;
    const minMs = reqInt(p, 'MinTime', { min: 0, expected: 'a Unix time in milliseconds' });
    const maxMs = reqInt(p, 'MaxTime', { min: 0, expected: 'a Unix time in milliseconds' });
    if (maxMs < minMs) throw invalid('MaxTime', `at least MinTime (${minMs})`, maxMs);
    const keywords = parseKeywords(reqString(p, 'Keywords'));
    const context = optString(p, 'Context', { pattern: /^\d{0,12}$/, expected: 'the Context of a previous answer' }) ?? '';
    const limit = optInt(p, 'MaxNum', { min: 1, max: MAX_MAX_NUM }) ?? DEFAULT_MAX_NUM;
    if (keywords.productId !== undefined && !actx.registry.getProduct(keywords.productId)) throw productNotExist(keywords.productId);
    const offset = context === '' ? 0 : Number(context);
    const { lines, more } = store(ctx).find({ minMs, maxMs, ...keywords, offset, limit }, ctx.clock.now());
    // LOG-008: SDKLogItem per stored line; LOG-011: at most limit lines, Listover true when nothing is left, Context pages on
    return {
      Context: more ? String(offset + limit) : '',
      Listover: !more,
      Results: lines.map((l: LogLine) => ({ ProductID: l.productId, DeviceName: l.deviceName, Level: l.level, DateTime: String(l.atMs), Content: l.content })),
    };
  },
};

/**
 * Extension (not in 2018-06-14): sets a device's log level and pushes it to the device. Same name and
 * parameters as the 2021-04-08 action UpdateDeviceLogLevel (protocol.md §6.1); hub/README.md documents it.
 */
const UpdateDeviceLogLevel: Action = {
  params: ['ProductId', 'DeviceName', 'LogLevel'],
  async run(actx, p) {
    const ctx = actx.hub;
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const level = reqInt(p, 'LogLevel', { min: 0, max: 4, expected: 'an integer from 0 (no upload) to 4 (debug)' });
    requireDevice(actx.registry, productId, deviceName);
    store(ctx).setLevel(productId, deviceName, level);
    // LOG-004: the push shape of protocol.md §6.1 RECOMMENDATION; SDKs read only log_level
    const push = { type: 'log_level', log_level: level, result: 0, timestamp: nowSeconds(ctx) };
    await ctx.publish(`$log/operation/result/${productId}/${deviceName}`, JSON.stringify(push), 1);
    return {};
  },
};

export const log: HubService = {
  name: 'log',
  actions: { ListSDKLog, UpdateDeviceLogLevel },
  http: {
    '/cgi-bin/report-log': (req, res, ctx) => legacyReportLog(ctx, req, res),
    '/device/reportlog': (req, res, ctx) =>
      gatewayRoute(ctx, req, res, async () => {
        // LOG-005, LOG-007: signed like /device/publish (HTTP-002); the fault skips the signature
        const { device, params } = await readSignedRequest(req, ctx, {
          skipSignature: ctx.faults.has('log-unsigned-upload'),
          skipTimestamp: ctx.faults.has('http-accept-stale-timestamp'),
          maxBodyBytes: MAX_REPORTLOG_BODY_BYTES,
        });
        const atMs = ctx.clock.now();
        const entries = parseLogMessages(params['Message']);
        store(ctx).add(entries.map((e) => ({ productId: device.productId, deviceName: device.deviceName, ...e, atMs })), atMs);
      }),
  },
  start(ctx) {
    STORES.set(ctx, new LogStore(ctx.registry.db));
    ctx.onDevicePublish('$log/operation/+/+', (m) => {
      let request: { type?: unknown; clientToken?: unknown };
      try {
        request = JSON.parse(m.payload.toString('utf8')) as typeof request;
      } catch {
        return ctx.log(`log: ignored a $log request from ${m.productId}/${m.deviceName} that is not JSON`);
      }
      if (request?.type !== 'get_log_level') return ctx.log(`log: ignored a $log request of type ${JSON.stringify(request?.type)}`);
      if (typeof request.clientToken !== 'string' || request.clientToken === '') {
        return ctx.log(`log: ignored get_log_level from ${m.productId}/${m.deviceName} without a clientToken`);
      }
      // LOG-001, LOG-002: echo clientToken, the stored level (0 when never set)
      const reply = { type: 'get_log_level', clientToken: request.clientToken, log_level: store(ctx).level(m.productId, m.deviceName), result: 0, timestamp: nowSeconds(ctx) };
      ctx.publish(`$log/operation/result/${m.productId}/${m.deviceName}`, JSON.stringify(reply), 0).catch((err: Error) =>
        ctx.log(`log: reply to ${m.productId}/${m.deviceName} failed: ${err.message}`));
    });
  },
};


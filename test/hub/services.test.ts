// The log, broadcast, RRPC, NTP and HTTP gateway services: configuration and bad input the conformance suites do not reach.

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHub, type RunningHub } from '../../hub/index.js';
import { parseHubArgs } from '../../hub/main.js';
import { DEFAULT_RRPC_TIMEOUT_MS } from '../../hub/services/rrpc/timeout.js';
import { parseLogMessages } from '../../hub/services/log/index.js';
import { signGatewayRequest } from '../../src/protocol/http-sign.js';
import { apiError, connectDevice, callApi, provision, type Device } from './helpers.js';

describe('RRPC timeout setting', () => {
  test('defaults to 10 s (the seed) and is set with --rrpc-timeout or HUB_RRPC_TIMEOUT', () => {
    expect(DEFAULT_RRPC_TIMEOUT_MS).toBe(10_000);
    expect(parseHubArgs(['--rrpc-timeout', '2500'], {}).options.rrpcTimeoutMs).toBe(2500);
    expect(parseHubArgs([], { HUB_RRPC_TIMEOUT: '700' }).options.rrpcTimeoutMs).toBe(700);
    expect(parseHubArgs([], {}).options.rrpcTimeoutMs).toBeUndefined();
    expect(() => parseHubArgs(['--rrpc-timeout', '1.5s'], {})).toThrow(/--rrpc-timeout must be a number of milliseconds/);
    expect(() => parseHubArgs(['--rrpc-timeout', '0'], {})).toThrow(/from 1 to 600000/);
  });

  test('startHub refuses a bad rrpcTimeoutMs, naming it', async () => {
    await expect(startHub({ rrpcTimeoutMs: -5 })).rejects.toThrow(/rrpcTimeoutMs must be an integer number of milliseconds/);
  });
});

describe('log lines', () => {
  test('each element starts with a tag; lines without one continue the entry before', () => {
    expect(parseLogMessages(['INFa\nb', 'ERRc\r\nDBGd'])).toEqual([
      { level: 'INFO', content: 'a\nb' }, { level: 'ERROR', content: 'c' }, { level: 'DEBUG', content: 'd' },
    ]);
    expect(() => parseLogMessages(['no tag'])).toThrow(/Message\.0 must be a string starting with a level tag/);
    expect(() => parseLogMessages([])).toThrow(/Message must be a non-empty array/);
  });
});

describe('bad input keeps the hub running', () => {
  let hub: RunningHub;
  let dev: Device;
  beforeAll(async () => {
    hub = await startHub({ rrpcTimeoutMs: 200 });
    [dev] = (await provision(hub, ['d1'])) as [Device];
  });
  afterAll(() => hub.close());

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(new URL(path, hub.endpoints.api), { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
    return { status: res.status, json: (await res.json()) as { Response: { Error?: { Code: string; Message: string } } } };
  };

  test('gateway: non-JSON, arrays, oversize bodies and unknown devices get clear errors', async () => {
    const signed = (text: string) => signGatewayRequest({ secret: dev.psk, host: '127.0.0.1', uri: '/device/publish', algorithm: 'hmacsha256', timestamp: Math.floor(Date.now() / 1000), nonce: 3, body: text }).headers;
    expect((await post('/device/publish', '{', signed('{'))).json.Response.Error?.Message).toMatch(/not valid JSON/);
    expect((await post('/device/publish', '[]', signed('[]'))).json.Response.Error?.Message).toMatch(/JSON object/);
    const huge = JSON.stringify({ ProductId: dev.productId, DeviceName: dev.deviceName, Payload: 'x'.repeat(70_000) });
    expect((await post('/device/publish', huge, signed(huge))).json.Response.Error?.Code).toBe('InvalidParameterValue.PayloadOverLimit');
    const unknown = JSON.stringify({ ProductId: dev.productId, DeviceName: 'ghost' });
    expect((await post('/device/publish', unknown, signed(unknown))).json.Response.Error?.Code).toBe('ResourceNotFound.DeviceNotExist');
    expect((await post('/device/publish', '{}', { 'X-TC-Algorithm': 'hmacsha256', 'X-TC-Timestamp': 'yesterday', 'X-TC-Nonce': '1', 'X-TC-Signature': 'x' })).json.Response.Error?.Message).toMatch(/X-Tc-Timestamp error/);
  });

  test('ListSDKLog names the bad field', async () => {
    const now = Date.now();
    expect(await apiError(hub, 'ListSDKLog', { MinTime: now, MaxTime: now - 1, Keywords: '' })).toBe('InvalidParameterValue');
    const r = await callApi(hub, 'ListSDKLog', { MinTime: 0, MaxTime: now, Keywords: 'scene:SHADOW' });
    expect(r.Response.Error?.Message).toMatch(/Keywords must be words and productid:, devicename:, loglevel: keys/);
    expect(await apiError(hub, 'ListSDKLog', { MinTime: 0, MaxTime: now, Keywords: 'loglevel:LOUD' })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'UpdateDeviceLogLevel', { ProductId: dev.productId, DeviceName: dev.deviceName, LogLevel: 5 })).toBe('InvalidParameterValue');
  });

  test('broadcast and RRPC parameter errors', async () => {
    expect(await apiError(hub, 'PublishBroadcastMessage', { ProductId: dev.productId, Payload: 'x', Qos: 2 })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'PublishBroadcastMessage', { ProductId: dev.productId, Payload: '%%%', Qos: 0, PayloadEncoding: 'base64' })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'PublishBroadcastMessage', { ProductId: dev.productId, Payload: 'x', Qos: 0, PayloadEncoding: 'gzip' })).toBe('InvalidParameterValue');
    expect(await apiError(hub, 'PublishRRPCMessage', { ProductId: dev.productId, DeviceName: dev.deviceName })).toBe('MissingParameter');
  });

  test('the RRPC timeout is the configured one', async () => {
    const d = await connectDevice(hub, dev);
    await d.subscribeAsync(`$rrpc/rxd/${dev.productId}/${dev.deviceName}/+`, { qos: 1 });
    const started = Date.now();
    const r = await callApi(hub, 'PublishRRPCMessage', { ProductId: dev.productId, DeviceName: dev.deviceName, Payload: 'x' });
    const took = Date.now() - started;
    await d.endAsync();
    expect(r.Response.Error?.Code).toBe('FailedOperation.RRPCTimeout');
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(3000);
  });
});

// Remote configuration over $config (both topic generations): get, push to a product's devices, disabled and empty configs (protocol.md §5).
import { describe, expect } from 'vitest';
import type { Device } from '../src/client/device.js';
import { type Harness, req } from './support/harness.js';
import { type DeviceCredentials, type ProductFixture, uniqueName, useProduct } from './support/provision.js';
import { ROUND_TRIP_LIMIT_MS, selfLoop } from './support/wire.js';

/**
 * iotcloud 2018-06-14 has no action to set or push a configuration (console only, protocol.md §5): the reference hub
 * takes both through this extension action (hub/README.md). A target without it declares no remote-config.
 */
const SET = 'HubcheckSetProductConfig';
const C = 'config.schema.json#/$defs/';

const product = useProduct('cfg', { devices: [] });
const other = useProduct('cfgx', { devices: ['bystander'] });
const untouched = useProduct('cfgn', { devices: ['newcomer'] });

function parse(b: Buffer): any {
  try { return JSON.parse(b.toString('utf8')); } catch { return undefined; }
}

const GEN = {
  current: { request: '$config/operation', result: '$config/operation/result' },
  legacy: { request: '$config/report', result: '$config/update' },
} as const;
type Gen = keyof typeof GEN;

class ConfigDevice {
  private seen = 0;
  constructor(readonly h: Harness, readonly dev: Device, readonly creds: DeviceCredentials, readonly gens: Gen[]) {}

  static async open(h: Harness, creds: DeviceCredentials, gens: Gen[] = ['current']): Promise<ConfigDevice> {
    const dev = await h.device(creds);
    for (const g of gens) expect(await dev.subscribe(`${GEN[g].result}/${creds.productId}/${creds.deviceName}`, 1)).toBe(1);
    expect(await dev.subscribe(`${creds.productId}/${creds.deviceName}/data`, 1)).toBe(1);
    return new ConfigDevice(h, dev, creds, gens);
  }

  topic(g: Gen, kind: 'request' | 'result') {
    return `${GEN[g][kind]}/${this.creds.productId}/${this.creds.deviceName}`;
  }

  /** Sends {"type":"get"} on a generation's request topic and returns its reply. */
  async get(g: Gen = 'current'): Promise<any> {
    const start = this.dev.messages.length;
    await this.dev.publish(this.topic(g, 'request'), JSON.stringify({ type: 'get' }), 1);
    const m = await this.dev.waitFor((x) => this.dev.messages.indexOf(x) >= start && x.topic === this.topic(g, 'result') && parse(x.payload)?.type === 'reply', ROUND_TRIP_LIMIT_MS);
    if (!m) throw new Error(`no reply on ${this.topic(g, 'result')} within ${ROUND_TRIP_LIMIT_MS} ms`);
    const reply = parse(m.payload);
    this.h.expectSchema(C + 'reply', reply, `MQTT ${m.topic}`);
    return reply;
  }

  /** Messages on the config result topics since the last call, after a barrier: whatever the hub sent before has arrived. */
  async sinceLast(): Promise<{ topic: string; body: any }[]> {
    await selfLoop(this.dev, `${this.creds.productId}/${this.creds.deviceName}/data`);
    const fresh = this.dev.messages.slice(this.seen).filter((m) => m.topic.startsWith('$config/'));
    this.seen = this.dev.messages.length;
    return fresh.map((m) => {
      const body = parse(m.payload);
      this.h.expectSchema(C + 'resultMessage', body, `MQTT ${m.topic}`);
      return { topic: m.topic, body };
    });
  }
}

async function setConfig(h: Harness, p: ProductFixture, params: { config?: unknown; enabled?: 0 | 1; push?: 0 | 1 }) {
  return h.api().call<{ Pushed: number }>(SET, {
    ProductId: p.productId,
    ...(params.config !== undefined ? { Config: JSON.stringify(params.config) } : {}),
    ...(params.enabled !== undefined ? { Enabled: params.enabled } : {}),
    ...(params.push !== undefined ? { Push: params.push } : {}),
  });
}

const freshDevice = async (h: Harness, gens: Gen[] = ['current']) => ConfigDevice.open(h, await product.addDevice(uniqueName('cd').slice(0, 40)), gens);

describe('device get', () => {
  req(['CFG-001', 'CFG-002'], 'a get is answered with the configuration as a JSON object', async (h) => {
    const config = { 'baud rate': 9600, 'data bits': 8, 'stop bit': 1, parity: 'NONE', 'thread sleep': 1000, nested: { list: [1, 2] } };
    await setConfig(h, product, { config, enabled: 1 });
    const d = await freshDevice(h);
    const reply = await d.get();
    expect(reply).toEqual({ type: 'reply', result: 0, payload: config });
  });

  req(['CFG-004'], 'with remote config disabled a get is answered with 1001 and no configuration', async (h) => {
    await setConfig(h, product, { config: { secret: 'value' }, enabled: 0 });
    const d = await freshDevice(h);
    const reply = await d.get();
    expect(reply.result).toBe(1001);
    expect(reply.payload).toBeUndefined();
    await setConfig(h, product, { enabled: 1 });
    expect((await d.get()).result).toBe(0);
  });

  req(['CFG-004'], 'a product whose remote config was never switched on answers 1001, also once content is set without switching it on', async (h) => {
    const d = await ConfigDevice.open(h, untouched.device('newcomer'));
    const before = await d.get();
    expect(before.result, 'a new product: the switch starts off').toBe(1001);
    expect(before.payload).toBeUndefined();
    await setConfig(h, untouched, { config: { secret: 'set, not switched on' } });
    const after = await d.get();
    expect(after.result, 'content set, switch never turned on').toBe(1001);
    expect(after.payload).toBeUndefined();
  });

  req(['CFG-005'], 'switched on with no content ever set, a get is answered with 1002', async (h) => {
    const p = other;
    await setConfig(h, p, { enabled: 1 });
    const d = await ConfigDevice.open(h, p.device('bystander'));
    expect((await d.get()).result).toBe(1002);
  });

  req(['CFG-006'], 'the older $config/report → $config/update pair is answered like the current one', async (h) => {
    const config = { legacy: true };
    await setConfig(h, product, { config, enabled: 1 });
    const d = await freshDevice(h, ['legacy']);
    expect(await d.get('legacy')).toEqual({ type: 'reply', result: 0, payload: config });
  });

  req(['CFG-008'], 'a request whose type is not get is ignored', async (h) => {
    await setConfig(h, product, { config: { a: 1 }, enabled: 1 });
    const d = await freshDevice(h);
    await d.sinceLast();
    await d.dev.publish(d.topic('current', 'request'), JSON.stringify({ type: 'set', payload: { a: 2 } }), 1);
    await d.dev.publish(d.topic('current', 'request'), 'not json', 1);
    expect(await d.sinceLast()).toEqual([]);
    expect((await d.get()).payload).toEqual({ a: 1 });
  });
});

describe('push', () => {
  req(['CFG-003', 'CFG-002', 'CFG-006'], 'a push reaches every online device of the product on the topics it subscribed, and no other product', async (h) => {
    await setConfig(h, product, { config: { v: 0 }, enabled: 1 });
    const [cur, old, both] = [await freshDevice(h, ['current']), await freshDevice(h, ['legacy']), await freshDevice(h, ['current', 'legacy'])];
    const outsider = await ConfigDevice.open(h, other.device('bystander'), ['current', 'legacy']);
    for (const d of [cur, old, both, outsider]) await d.sinceLast();
    const config = { v: 1, name: 'pushed' };
    await setConfig(h, product, { config, push: 1 });
    const expected = { type: 'push', result: 0, payload: config };
    expect(await cur.sinceLast()).toEqual([{ topic: cur.topic('current', 'result'), body: expected }]);
    expect(await old.sinceLast()).toEqual([{ topic: old.topic('legacy', 'result'), body: expected }]);
    expect((await both.sinceLast()).map((x) => x.topic).sort()).toEqual([both.topic('current', 'result'), both.topic('legacy', 'result')].sort());
    expect(await outsider.sinceLast(), 'a device of another product gets nothing').toEqual([]);
  });

  req(['CFG-007'], 'an 8 KB configuration arrives intact in reply and push', async (h) => {
    const config: Record<string, string> = {};
    for (let i = 0; JSON.stringify(config).length < 8 * 1024 - 300; i++) config[`key${i}`] = `value-${i}-${'x'.repeat(80)}`;
    await setConfig(h, product, { config, enabled: 1 });
    const d = await freshDevice(h);
    expect((await d.get()).payload).toEqual(config);
    await d.sinceLast();
    await setConfig(h, product, { push: 1 });
    const pushed = await d.sinceLast();
    expect(pushed.map((x) => x.body.payload)).toEqual([config]);
  });
});

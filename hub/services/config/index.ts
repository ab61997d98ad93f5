// Remote configuration: device get on both $config topic generations, pushes to a product's devices, and the hubcheck action that sets it.

import type { Action, ActionContext } from '../../api/context.js';
import { ApiError, invalid } from '../../api/errors.js';
import { optInt, optString, PRODUCT_ID, reqString } from '../../api/params.js';
import { requireProduct } from '../../api/views.js';
import type { Registry } from '../../registry/index.js';
import type { DeviceMessage, HubService, ServiceContext } from '../types.js';
import { ConfigStore } from './store.js';

/** Result codes (protocol.md §5): 1001 disabled, 1002 no content (C SDK doc). 1003 is never produced: content is validated when set. */
export const CONFIG_RESULT = { ok: 0, disabled: 1001, noContent: 1002 } as const;
/** Largest configuration accepted (protocol.md §11: 128 KB; the older limit was 8 KB). */
export const MAX_CONFIG_BYTES = 128 * 1024;
/** The hubcheck extension action: iotcloud 2018-06-14 has no action to set or push a configuration (console only). */
export const SET_ACTION = 'HubcheckSetProductConfig';

/** Request topic level 1 → the result topic of the same generation (CFG-006). */
const GENERATIONS = [
  { request: '$config/operation', result: '$config/operation/result' },
  { request: '$config/report', result: '$config/update' },
] as const;

interface Running { ctx: ServiceContext; store: ConfigStore }
const running = new WeakMap<Registry, Running>();

function handleGet(ctx: ServiceContext, store: ConfigStore, m: DeviceMessage, resultPrefix: string): void {
  let msg: unknown;
  try {
    msg = JSON.parse(m.payload.toString('utf8'));
  } catch {
    return ctx.log(`config: ${m.productId}/${m.deviceName} sent a request that is not JSON; ignored`);
  }
  // CFG-008: the request content is fixed ({"type":"get"}); anything else is ignored
  if (typeof msg !== 'object' || msg === null || (msg as { type?: unknown }).type !== 'get') {
    return ctx.log(`config: ${m.productId}/${m.deviceName} sent a request whose type is not "get"; ignored`);
  }
  const c = store.get(m.productId);
  // CFG-004: switched off, or never switched on (the console's switch starts off: seed §1.5 "开启远程配置开关")
  const enabled = c ? c.enabled : ctx.faults.has('config-enabled-by-default');
  let body: Record<string, unknown>;
  if (!enabled && !ctx.faults.has('config-ignore-disabled')) body = { type: 'reply', result: CONFIG_RESULT.disabled }; // CFG-004
  else if (c?.content == null) body = { type: 'reply', result: CONFIG_RESULT.noContent }; // CFG-005
  else body = { type: 'reply', result: 0, payload: JSON.parse(c.content) as unknown }; // CFG-001, CFG-002
  void ctx.publish(`${resultPrefix}/${m.productId}/${m.deviceName}`, JSON.stringify(body), 1)
    .catch((e) => ctx.log(`config: reply to ${m.productId}/${m.deviceName} failed: ${String(e)}`));
}

/** Sends the product's configuration to every online device, on both result topics (each device gets what it subscribed: CFG-003, CFG-006). */
async function push(r: Running, productId: string, content: string): Promise<number> {
  const body = JSON.stringify({ type: 'push', result: 0, payload: JSON.parse(content) as unknown });
  const { total } = r.ctx.registry.listDevices(productId, {}, 0, 1);
  let pushed = 0;
  for (let offset = 0; offset < total; offset += 1000) {
    for (const d of r.ctx.registry.listDevices(productId, {}, offset, 1000).devices) {
      if (!r.ctx.sessions.isOnline(productId, d.deviceName)) continue;
      pushed++;
      for (const g of GENERATIONS) {
        if (g.request === '$config/report' && r.ctx.faults.has('config-no-legacy-topics')) continue;
        await r.ctx.publish(`${g.result}/${productId}/${d.deviceName}`, body, 1);
      }
    }
  }
  return pushed;
}

/**
 * HubcheckSetProductConfig(ProductId, Config?, Enabled?, Push?): sets the product's configuration (a JSON object as a
 * string, like UpdateDeviceShadow.State), switches remote config on (1) or off (0), and with Push 1 pushes it to every
 * online device (the console's 批量下发). Answers Enabled, HasConfig and Pushed (devices reached).
 */
const HubcheckSetProductConfig: Action = {
  params: ['ProductId', 'Config', 'Enabled', 'Push'],
  async run(ctx: ActionContext, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const text = optString(p, 'Config', { expected: 'a JSON object as a string, e.g. "{\\"baud rate\\":9600}"' });
    const enabled = optInt(p, 'Enabled', { oneOf: [0, 1] });
    const doPush = optInt(p, 'Push', { oneOf: [0, 1] }) ?? 0;
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ApiError('InvalidParameterValue.InvalidJSON', `Config must be a JSON object as a string (got ${JSON.stringify(text.slice(0, 80))})`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Config', 'a JSON object as a string', text.slice(0, 80));
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > MAX_CONFIG_BYTES) throw new ApiError('InvalidParameterValue.JSONSizeExceedLimit', `Config is ${bytes} bytes; at most ${MAX_CONFIG_BYTES} are allowed`);
    }
    requireProduct(ctx.registry, productId);
    const r = running.get(ctx.registry);
    if (!r) throw new ApiError('InternalError', 'the remote config service is not running');
    const current = r.store.get(productId);
    const next = {
      // a product's switch starts off (CFG-004); the fault starts it on
      enabled: enabled !== undefined ? enabled === 1 : (current?.enabled ?? r.ctx.faults.has('config-enabled-by-default')),
      content: text !== undefined ? JSON.stringify(JSON.parse(text)) : (current?.content ?? null),
    };
    r.store.put(productId, next.enabled, next.content, ctx.nowSeconds());
    let pushed = 0;
    if (doPush === 1) {
      if (!next.enabled) throw new ApiError('FailedOperation', `remote config is disabled for product ${productId}; set Enabled 1 to push`);
      if (next.content === null) throw new ApiError('FailedOperation', `product ${productId} has no configuration to push; set Config`);
      pushed = await push(r, productId, next.content);
    }
    return { Enabled: next.enabled ? 1 : 0, HasConfig: next.content !== null ? 1 : 0, Pushed: pushed };
  },
};

export const configService: HubService = {
  name: 'config',
  actions: { [SET_ACTION]: HubcheckSetProductConfig },
  start(ctx) {
    const store = new ConfigStore(ctx.registry.db);
    running.set(ctx.registry, { ctx, store });
    for (const g of GENERATIONS) {
      ctx.onDevicePublish(`${g.request}/+/+`, (m) => {
        if (g.request === '$config/report' && ctx.faults.has('config-no-legacy-topics')) return;
        handleGet(ctx, store, m, g.result);
      });
    }
  },
};

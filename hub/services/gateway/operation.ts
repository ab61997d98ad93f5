// $gateway/operation requests from gateways: online, offline, bind, unbind, describe_sub_devices, answered on $gateway/operation/result.
//
// Answers echo the request's type and carry one entry per requested device with its own `result`: the C SDK
// (gateway_common.c) and Python SDK (gateway.py) read `payload.devices[0].result` and match the reply by
// type and `${product_id}/${device_name}`. Requests that are not JSON, carry no type, or whose
// payload.devices is not a list are not answered (an answer without payload.devices crashes the Python SDK).

import type { Client } from 'aedes';
import { revokeSubscriptions } from '../../acl/proxy.js';
import { GATEWAY_BIND_MAX_AGE_SECONDS, MAX_GATEWAY_REQUEST_DEVICES, MAX_SUBDEVICES_PER_GATEWAY } from '../../limits.js';
import type { DeviceMessage, ServiceContext } from '../types.js';
import { ACK_TYPES, GW_RESULT } from './results.js';
import { bindSignatureMatches, bindText, isSignMethod } from './signature.js';
import { bindingsOf, isGatewayProduct, type Device } from './store.js';

type Entry = Record<string, unknown>;
interface Answer { product_id: string; device_name: string; result: number }

const isObject = (v: unknown): v is Entry => typeof v === 'object' && v !== null && !Array.isArray(v);

export function resultTopic(gateway: Device): string {
  return `$gateway/operation/result/${gateway.productId}/${gateway.deviceName}`;
}

/** The gateway's live connection (one per device: a newer login closes the older one; hub/services/reach.ts says why not broker.clients). */
function gatewayClient(ctx: ServiceContext, gateway: Device): Client | undefined {
  return ctx.sessions.connection(gateway.productId, gateway.deviceName);
}

/** Takes a sub-device offline and, before the caller answers, removes the gateway's subscriptions on its topics (GW-014). */
export async function takeOffline(ctx: ServiceContext, sub: Device): Promise<void> {
  const held = ctx.sessions.proxyOffline(sub.productId, sub.deviceName);
  if (!held || ctx.faults.has('gateway-offline-keeps-subscriptions')) return;
  await revokeSubscriptions(ctx.broker, ctx.sessions, ctx.registry, ctx.faults, held.gateway, held.sub);
}

/** The bus question by which UnbindDevices on one worker takes sub-devices offline on the workers holding them. */
const TAKE_OFFLINE = 'gateway-take-offline';

/** In a cluster: lets the other workers take offline the sub-devices online here (call once from the service's start). */
export function answerTakeOffline(ctx: ServiceContext): void {
  ctx.bus.answer(TAKE_OFFLINE, async (data) => {
    for (const d of data as Device[]) await takeOffline(ctx, d);
    return true;
  });
}

/**
 * Takes sub-devices offline wherever they are online: here, and in a cluster on the workers whose gateway
 * connection holds them (the cloud API may be served by another worker than the gateway's); resolves once all did.
 */
export async function takeOfflineEverywhere(ctx: ServiceContext, subs: readonly Device[]): Promise<void> {
  for (const d of subs) await takeOffline(ctx, d);
  if (!ctx.bus.clustered || subs.length === 0) return;
  const workers = new Set(subs.flatMap((d) => ctx.sessions.holders(d.productId, d.deviceName)).filter((w) => w !== ctx.bus.workerId));
  if (workers.size > 0) await ctx.bus.ask([...workers], TAKE_OFFLINE, subs);
}

/** Whether the gateway is online: here, or in a cluster on another worker. */
function gatewayOnline(ctx: ServiceContext, gateway: Device): boolean {
  if (gatewayClient(ctx, gateway)) return true;
  return ctx.bus.clustered && ctx.sessions.holders(gateway.productId, gateway.deviceName).some((w) => w !== ctx.bus.workerId);
}

function ids(e: Entry): Device | undefined {
  const { product_id: productId, device_name: deviceName } = e;
  if (typeof productId !== 'string' || typeof deviceName !== 'string' || !productId || !deviceName) return undefined;
  return { productId, deviceName };
}

function existing(ctx: ServiceContext, d: Device) {
  return ctx.registry.getProduct(d.productId) && ctx.registry.getDevice(d.productId, d.deviceName);
}

async function online(ctx: ServiceContext, gateway: Device, d: Device): Promise<number> {
  const device = existing(ctx, d);
  if (!device) return GW_RESULT.noDevice;
  // GW-006, GW-013: only a sub-device bound to this gateway (the fault skips the binding check)
  if (!ctx.faults.has('gateway-acts-for-unbound') && !bindingsOf(ctx.registry).isBoundTo(gateway, d.productId, d.deviceName)) return GW_RESULT.notBound;
  if (device.enableState === 0) return GW_RESULT.notAllowed;
  const client = gatewayClient(ctx, gateway);
  if (!client) return GW_RESULT.systemError;
  return ctx.sessions.proxyOnline(client, d.productId, d.deviceName) ? GW_RESULT.ok : GW_RESULT.notAllowed;
}

async function offline(ctx: ServiceContext, gateway: Device, d: Device): Promise<number> {
  if (!existing(ctx, d)) return GW_RESULT.noDevice;
  const held = ctx.sessions.proxyClient(d.productId, d.deviceName);
  const ours = held !== undefined && held === gatewayClient(ctx, gateway);
  if (!ours && !bindingsOf(ctx.registry).isBoundTo(gateway, d.productId, d.deviceName)) return GW_RESULT.notBound;
  if (ours) await takeOffline(ctx, d);
  return GW_RESULT.ok; // GW-006: offline of a bound sub-device that is not online is a no-op
}

function bind(ctx: ServiceContext, gateway: Device, d: Device, e: Entry): number {
  const { signature, random, timestamp, signmethod } = e;
  if (typeof signature !== 'string' || !Number.isSafeInteger(random) || !Number.isSafeInteger(timestamp)) return GW_RESULT.badRequest;
  const device = existing(ctx, d);
  if (!device) return GW_RESULT.noDevice;
  const method = signmethod ?? 'hmacsha1'; // the doc's default
  if (!isSignMethod(method) || (e.authtype !== undefined && e.authtype !== 'psk')) return GW_RESULT.badSignMethod;
  if (!device.psk) return GW_RESULT.badSignMethod; // certificate devices: the certificate digest key is not supported here
  // GW-008: an old timestamp is refused before the signature is looked at
  if (!ctx.faults.has('gateway-bind-ignores-expiry') && (timestamp as number) < ctx.clock.wall() / 1000 - GATEWAY_BIND_MAX_AGE_SECONDS) return GW_RESULT.expired;
  const text = bindText(d.productId, d.deviceName, random as number, timestamp as number);
  if (!ctx.faults.has('gateway-bind-skips-signature') && !bindSignatureMatches(device.psk, method, text, signature)) return GW_RESULT.badSignature; // GW-007
  if (isGatewayProduct(ctx.registry, d.productId)) return GW_RESULT.notOrdinary;
  const store = bindingsOf(ctx.registry);
  const bound = store.gatewayOf(d.productId, d.deviceName);
  if (bound) return bound.productId === gateway.productId && bound.deviceName === gateway.deviceName ? GW_RESULT.duplicateBind : GW_RESULT.boundElsewhere;
  if (store.count(gateway) >= MAX_SUBDEVICES_PER_GATEWAY) return GW_RESULT.notAllowed; // GW-004
  store.bind(gateway, [d], ctx.clock.wall() / 1000 | 0);
  return GW_RESULT.ok;
}

async function unbind(ctx: ServiceContext, gateway: Device, d: Device): Promise<number> {
  if (!existing(ctx, d)) return GW_RESULT.noDevice;
  if (!bindingsOf(ctx.registry).unbind(gateway, d)) return GW_RESULT.notBound;
  await takeOffline(ctx, d); // GW-014: unbinding revokes at once
  return GW_RESULT.ok;
}

async function answerEntry(ctx: ServiceContext, gateway: Device, type: string, e: unknown): Promise<Answer> {
  const d = isObject(e) ? ids(e) : undefined;
  const echo = { product_id: isObject(e) && typeof e.product_id === 'string' ? e.product_id : '', device_name: isObject(e) && typeof e.device_name === 'string' ? e.device_name : '' };
  if (!d) return { ...echo, result: GW_RESULT.badRequest };
  // GW-018: only devices of a gateway product may manage sub-devices
  if (!isGatewayProduct(ctx.registry, gateway.productId)) return { ...echo, result: GW_RESULT.notAllowed };
  let result: number;
  if (type === 'online') result = await online(ctx, gateway, d);
  else if (type === 'offline') result = await offline(ctx, gateway, d);
  else if (type === 'bind') result = bind(ctx, gateway, d, e as Entry);
  else result = await unbind(ctx, gateway, d);
  return { ...echo, result };
}

/** Handles one request; resolves once its answer is published. */
export async function handleOperation(ctx: ServiceContext, m: DeviceMessage): Promise<void> {
  const gateway = { productId: m.productId, deviceName: m.deviceName };
  const ignore = (why: string) => ctx.log(`gateway: request from ${gateway.productId}/${gateway.deviceName} not answered: ${why}`);
  let req: unknown;
  try {
    req = JSON.parse(m.payload.toString('utf8'));
  } catch {
    return ignore('not JSON');
  }
  if (!isObject(req) || typeof req.type !== 'string') return ignore('no "type" string');
  const type = req.type;
  if (ACK_TYPES.has(type)) return; // the gateway acknowledging a notice (C SDK _gateway_ack_change)
  const reply = (body: unknown) => ctx.publish(resultTopic(gateway), JSON.stringify(body), 1);
  if (type === 'describe_sub_devices') {
    // GW-010: every bound sub-device (at most 1500)
    const list = isGatewayProduct(ctx.registry, gateway.productId) ? bindingsOf(ctx.registry).list(gateway, undefined, 0, MAX_SUBDEVICES_PER_GATEWAY).devices : [];
    return reply({ type, payload: { devices: list.map((d) => ({ product_id: d.productId, device_name: d.deviceName })) } });
  }
  if (!['online', 'offline', 'bind', 'unbind'].includes(type)) return ignore(`unknown type ${JSON.stringify(type).slice(0, 40)}`);
  const devices = isObject(req.payload) ? req.payload.devices : undefined;
  if (!Array.isArray(devices)) return ignore('payload.devices is not a list');
  if (devices.length > MAX_GATEWAY_REQUEST_DEVICES) return ignore(`${devices.length} devices in one request (at most ${MAX_GATEWAY_REQUEST_DEVICES})`);
  const answers: Answer[] = [];
  for (const e of devices) answers.push(await answerEntry(ctx, gateway, type, e));
  // GW-009 (the fault answers unbind with the doc example's type "bind")
  const replyType = type === 'unbind' && ctx.faults.has('gateway-result-wrong-type') ? 'bind' : type;
  return reply({ type: replyType, payload: { devices: answers } });
}

/** The cloud's notice to an online gateway that BindDevices (status 1) or UnbindDevices (status 0) changed its sub-devices (GW-011). */
export async function notifyChange(ctx: ServiceContext, gateway: Device, status: 0 | 1, subs: readonly Device[]): Promise<void> {
  // in a cluster the notice is routed to the worker holding the gateway like any other publish
  if (subs.length === 0 || !gatewayOnline(ctx, gateway)) return;
  // `result` per entry is not in the C SDK's notice format; the Python SDK reads devices[0].result of every message it gets
  const devices = subs.map((d) => ({ product_id: d.productId, device_name: d.deviceName, result: 0 }));
  await ctx.publish(resultTopic(gateway), JSON.stringify({ type: 'change', payload: { status, devices } }), 1);
}

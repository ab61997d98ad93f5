// Device shadow: get/update over $shadow/operation, delta pushes, version checks and limits, UpdateDeviceShadow and DescribeDeviceShadow.

import type { Action, ActionContext } from '../../api/context.js';
import { ApiError, invalid } from '../../api/errors.js';
import { DEVICE_NAME, optString, PRODUCT_ID, reqInt, reqString } from '../../api/params.js';
import type { Registry } from '../../registry/index.js';
import type { DeviceMessage, HubService, ServiceContext } from '../types.js';
import {
  applyUpdate, computeDelta, docBytes, emptyDoc, fullPayload, getPayload, isObject, MAX_BYTES, mapMeta,
  sectionProblem, updatePayload, type DocFaults, type Json, type Section, type ShadowDoc, type ShadowUpdate,
} from './document.js';
import { ShadowStore } from './store.js';

/** Result codes over MQTT. Only 5005 is documented; the others are this hub's (any non-zero is "rejected" to the SDKs). */
export const SHADOW_RESULT = {
  ok: 0,
  notJsonObject: 5001,
  unknownType: 5002,
  invalidRequest: 5003,
  versionConflict: 5005, // SHADOW-005
  tooDeep: 5006,
  nullInArray: 5007,
  tooLarge: 5008,
} as const;

const stores = new WeakMap<Registry, ShadowStore>();
function storeOf(registry: Registry): ShadowStore {
  const s = stores.get(registry);
  if (!s) throw new ApiError('InternalError', 'the shadow service is not running');
  return s;
}

function load(store: ShadowStore, productId: string, deviceName: string, now: number): ShadowDoc {
  return store.get(productId, deviceName) ?? emptyDoc(now);
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The document mistakes this hub's fault switches turn on (none in a correct hub). */
function docFaults(ctx: ServiceContext): DocFaults {
  return {
    deltaByReference: ctx.faults.has('shadow-delta-by-reference'),
    deltaKeyOrder: ctx.faults.has('shadow-delta-key-order'),
    shallowMerge: ctx.faults.has('shadow-shallow-merge'),
    nestedNullKept: ctx.faults.has('shadow-nested-null-kept'),
  };
}

class RequestError extends Error {
  constructor(readonly result: number, message: string, readonly payload?: Record<string, Json>) { super(message); }
}

/** Validates the sections of an update; the MQTT and API paths share it. */
function checkSections(update: ShadowUpdate, ctx: ServiceContext): void {
  for (const section of ['reported', 'desired'] as const) {
    const problem = sectionProblem(section, update[section] as Json | undefined);
    if (!problem) continue;
    if (problem.includes('nests') && ctx.faults.has('shadow-no-depth-limit')) continue;
    throw new RequestError(problem.includes('nests') ? SHADOW_RESULT.tooDeep : problem.includes('null element') ? SHADOW_RESULT.nullInArray : SHADOW_RESULT.invalidRequest, problem);
  }
}

/** Applies an update that passed every check; refuses it when the document would outgrow the limit (SHADOW-017). */
function commit(ctx: ServiceContext, store: ShadowStore, productId: string, deviceName: string, doc: ShadowDoc, update: ShadowUpdate) {
  const now = ctx.clock.now();
  const result = applyUpdate(doc, update, now, docFaults(ctx));
  const bytes = docBytes(result.doc);
  if (bytes > MAX_BYTES) throw new RequestError(SHADOW_RESULT.tooLarge, `the document would be ${bytes} bytes; at most ${MAX_BYTES} are allowed`);
  store.put(productId, deviceName, result.doc);
  return result;
}

function handleDevice(ctx: ServiceContext, store: ShadowStore, m: DeviceMessage): void {
  const replyTopic = `$shadow/operation/result/${m.productId}/${m.deviceName}`;
  const now = ctx.clock.now();
  let type = 'error';
  let clientToken: string | undefined;
  const reply = (body: Record<string, unknown>) => {
    void ctx.publish(replyTopic, JSON.stringify(body), 1).catch((e) => ctx.log(`shadow: reply to ${m.productId}/${m.deviceName} failed: ${String(e)}`));
  };
  try {
    let req: unknown;
    try {
      req = JSON.parse(m.payload.toString('utf8'));
    } catch {
      throw new RequestError(SHADOW_RESULT.notJsonObject, 'the request is not JSON');
    }
    if (!isObject(req)) throw new RequestError(SHADOW_RESULT.notJsonObject, 'the request is not a JSON object');
    if (typeof req.type === 'string' && req.type) type = req.type;
    if (typeof req.clientToken === 'string' && req.clientToken) clientToken = req.clientToken;
    if (req.type !== 'get' && req.type !== 'update') throw new RequestError(SHADOW_RESULT.unknownType, `unknown type ${JSON.stringify(req.type)}; expected "get" or "update"`); // SHADOW-018, SHADOW-019
    if (clientToken === undefined) throw new RequestError(SHADOW_RESULT.invalidRequest, 'clientToken must be a non-empty string');
    const doc = load(store, m.productId, m.deviceName, now);
    if (req.type === 'get') {
      // SHADOW-001, SHADOW-012, SHADOW-013, SHADOW-014
      return reply({ type: 'get', result: 0, timestamp: seconds(now), clientToken, payload: getPayload(doc, 's', docFaults(ctx)) });
    }
    const state = req.state;
    if (!isObject(state)) throw new RequestError(SHADOW_RESULT.invalidRequest, 'state must be an object holding reported and/or desired');
    const keys = Object.keys(state);
    // SHADOW-018; the fault applies such an update, which then changes nothing but the version
    if ((keys.length === 0 || keys.some((k) => k !== 'reported' && k !== 'desired')) && !ctx.faults.has('shadow-accept-any-state')) {
      throw new RequestError(SHADOW_RESULT.invalidRequest, `state must hold only reported and/or desired (got ${JSON.stringify(keys)})`);
    }
    const update = state as ShadowUpdate;
    checkSections(update, ctx);
    const version = req.version;
    if (version !== undefined && (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0)) {
      throw new RequestError(SHADOW_RESULT.invalidRequest, `version must be a non-negative integer (got ${JSON.stringify(version)})`);
    }
    // SHADOW-006: absent and 0 skip the check; SHADOW-005/007: any other version must equal the stored one
    if (version !== undefined && version !== 0 && version !== doc.version && !ctx.faults.has('shadow-no-version-check')) {
      throw new RequestError(SHADOW_RESULT.versionConflict, `version ${version} does not match the stored version ${doc.version}`, fullPayload(doc, 's'));
    }
    const { doc: next, touchedMeta } = commit(ctx, store, m.productId, m.deviceName, doc, update); // SHADOW-004, SHADOW-009, SHADOW-010, SHADOW-011
    reply({ type: 'update', result: 0, timestamp: seconds(now), clientToken, payload: updatePayload(update, touchedMeta, next, 's') }); // SHADOW-003
  } catch (err) {
    if (!(err instanceof RequestError)) throw err;
    ctx.log(`shadow: ${m.productId}/${m.deviceName} ${type} refused with ${err.result}: ${err.message}`);
    reply({ type, result: err.result, timestamp: seconds(now), ...(clientToken !== undefined ? { clientToken } : {}), ...(err.payload ? { payload: err.payload } : {}) });
  }
}

// ---- cloud API

const PREFIXES = ['$shadow', '$template'];

function requireShadowDevice(ctx: ActionContext, productId: string, deviceName: string): void {
  // SHADOW-026: every registered device has a shadow, so the only "not found" is the device itself
  if (!ctx.registry.getDevice(productId, deviceName)) {
    throw new ApiError('ResourceNotFound.ProductOrDeviceNotExist', `device ${deviceName} of product ${productId} does not exist`);
  }
}

/** UpdateDeviceShadow: State is a JSON string holding only desired (SHADOW-021..024). */
const UpdateDeviceShadow: Action = {
  params: ['ProductId', 'DeviceName', 'State', 'ShadowVersion', 'Prefix'],
  async run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const stateText = reqString(p, 'State', { expected: 'a JSON string such as {"desired":{"color":"red"}}' });
    const shadowVersion = reqInt(p, 'ShadowVersion', { min: 0 });
    const prefix = optString(p, 'Prefix') ?? '$shadow';
    if (!PREFIXES.includes(prefix)) throw new ApiError('InvalidParameterValue.PrefixInvalid', `Prefix must be "$shadow" or "$template" (got ${JSON.stringify(prefix)})`);
    requireShadowDevice(ctx, productId, deviceName);
    if (Buffer.byteLength(stateText, 'utf8') > MAX_BYTES) {
      throw new ApiError('InvalidParameterValue.JSONSizeExceedLimit', `State is ${Buffer.byteLength(stateText, 'utf8')} bytes; the shadow document may hold at most ${MAX_BYTES}`);
    }
    let state: unknown;
    try {
      state = JSON.parse(stateText);
    } catch {
      throw new ApiError('InvalidParameterValue.InvalidJSON', `State must be a JSON string such as {"desired":{"color":"red"}} (got ${JSON.stringify(stateText.slice(0, 80))})`);
    }
    if (!isObject(state)) throw new ApiError('InvalidParameterValue.InvalidJSON', 'State must be a JSON object such as {"desired":{"color":"red"}}');
    const nodes = Object.keys(state);
    if (!nodes.includes('desired') || nodes.some((k) => k !== 'desired')) {
      throw new ApiError('InvalidParameterValue.JSONHasInvalidNode', `State may hold only "desired" (got ${JSON.stringify(nodes)}); devices write reported`);
    }
    const update: ShadowUpdate = { desired: state.desired as Section | null };
    const store = storeOf(ctx.registry);
    const now = ctx.hub.clock.now();
    const doc = load(store, productId, deviceName, now);
    let next: ShadowDoc;
    let touchedMeta: ShadowDoc['metadata'];
    try {
      checkSections(update, ctx.hub);
      if (shadowVersion !== doc.version && !ctx.hub.faults.has('shadow-no-version-check')) {
        throw new ApiError('FailedOperation.UpdateVersionNotMatch', `ShadowVersion ${shadowVersion} does not match the shadow's version ${doc.version}`); // SHADOW-022
      }
      ({ doc: next, touchedMeta } = commit(ctx.hub, store, productId, deviceName, doc, update));
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      if (err.result === SHADOW_RESULT.tooLarge) throw new ApiError('InvalidParameterValue.JSONSizeExceedLimit', err.message);
      throw invalid('State', 'a desired object without null array elements, at most 5 levels deep', stateText.slice(0, 80));
    }
    const delta = computeDelta(next, docFaults(ctx.hub));
    if (delta && !ctx.hub.faults.has('shadow-no-delta')) {
      // SHADOW-002, SHADOW-024: the delta goes to the prefix's result topic, attributes directly under payload.state
      const push = {
        type: 'delta',
        timestamp: seconds(now),
        payload: { state: delta.state, metadata: mapMeta({ d: delta.metadata }, seconds).d, version: next.version, timestamp: seconds(next.timestamp) },
      };
      await ctx.hub.publish(`${prefix}/operation/result/${productId}/${deviceName}`, JSON.stringify(push), 1);
    }
    return { Data: JSON.stringify({ payload: updatePayload(update, touchedMeta, next, 'ms'), result: 0, timestamp: now, type: 'update' }) };
  },
};

/** DescribeDeviceShadow: the whole document, as a device's get sees it, in a JSON string (SHADOW-025). */
const DescribeDeviceShadow: Action = {
  params: ['ProductId', 'DeviceName'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    requireShadowDevice(ctx, productId, deviceName);
    const now = ctx.hub.clock.now();
    const doc = load(storeOf(ctx.registry), productId, deviceName, now);
    return { Data: JSON.stringify({ payload: getPayload(doc, 'ms', docFaults(ctx.hub)), result: 0, timestamp: now, type: 'get' }) };
  },
};

export const shadowService: HubService = {
  name: 'shadow',
  actions: { UpdateDeviceShadow, DescribeDeviceShadow },
  start(ctx) {
    const store = new ShadowStore(ctx.registry.db);
    stores.set(ctx.registry, store);
    ctx.onDevicePublish('$shadow/operation/+/+', (m) => handleDevice(ctx, store, m));
  },
};

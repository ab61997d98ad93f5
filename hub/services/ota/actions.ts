// Firmware cloud actions (protocol.md §4.3, Appendix A): upload, describe, edit, URL, upgrade tasks and their status.

import { createHash } from 'node:crypto';
import type { Action, ActionContext } from '../../api/context.js';
import { ApiError, invalid, missing } from '../../api/errors.js';
import { DEVICE_NAME, optInt, optString, PRODUCT_ID, reqInt, reqString, type Params } from '../../api/params.js';
import { requireProduct } from '../../api/views.js';
import type { Registry } from '../../registry/index.js';
import type { OtaEngine } from './engine.js';
import { DEVICE_STATUS, UNFINISHED, type Task, type TaskDevice } from './store.js';

export const engines = new WeakMap<Registry, OtaEngine>();
function engineOf(ctx: ActionContext): OtaEngine {
  const e = engines.get(ctx.registry);
  if (!e) throw new ApiError('InternalError', 'the OTA service is not running');
  return e;
}

const VERSION = { pattern: /^[^\s/]{1,32}$/u, expected: 'a firmware version of 1–32 characters without spaces or /' };
const MD5 = { pattern: /^[0-9a-fA-F]{32}$/, expected: '32 hexadecimal digits (the MD5 of the file)' };
const FW_TYPES = ['mcu', 'moudule', 'module'];
/** Largest firmware whose bytes UploadFirmware accepts inline (the API body limit is 1 MiB; base64 adds a third). */
const MAX_INLINE_BYTES = 700 * 1024;
/** Parameter carrying the firmware bytes: a hubcheck extension (the real API uploads to COS from the console). */
export const CONTENT_PARAM = 'HubcheckFirmwareBase64';

function fwType(p: Params): string {
  const t = optString(p, 'FwType') ?? 'mcu';
  if (!FW_TYPES.includes(t)) throw invalid('FwType', '"mcu" or "moudule" (sic; "module" is accepted too)', t);
  return t;
}

function requireFirmware(ctx: ActionContext, productId: string, version: string) {
  requireProduct(ctx.registry, productId);
  const f = engineOf(ctx).store.firmware(productId, version);
  if (!f) throw new ApiError('ResourceNotFound.FirmwareNotExist', `product ${productId} has no firmware version ${version}; register it with UploadFirmware`);
  return f;
}

function requireTask(ctx: ActionContext, productId: string, version: string, taskId: number): Task {
  const t = engineOf(ctx).store.task(taskId);
  if (!t || t.product_id !== productId || t.version !== version) {
    throw new ApiError('ResourceNotFound.FirmwareTaskNotExist', `product ${productId} has no task ${taskId} for firmware ${version}`);
  }
  return t;
}

/** Task status: 1 while any device is unfinished (or a by-version task may still pick devices up), 3 when all have finished. */
function taskStatus(engine: OtaEngine, t: Task): number {
  const entries = engine.store.entriesOfTask(t.task_id);
  if (entries.length === 0 || entries.some((e) => UNFINISHED.includes(e.status))) return 1;
  return 3;
}

function statusView(e: TaskDevice, version: string) {
  return {
    DeviceName: e.device_name, LastProcessTime: e.last_process, Status: e.status, ErrMsg: e.err_msg, Retcode: e.retcode,
    DstVersion: version, Percent: e.percent, OriVersion: e.ori_version, TaskId: e.task_id,
  };
}

const UploadFirmware: Action = {
  params: ['ProductID', 'FirmwareVersion', 'Md5sum', 'FileSize', 'FirmwareName', 'FirmwareDescription', 'FwType', CONTENT_PARAM],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = reqString(p, 'FirmwareVersion', VERSION);
    const md5 = reqString(p, 'Md5sum', MD5).toLowerCase();
    const size = reqInt(p, 'FileSize', { min: 0, max: 2048 * 1024 * 1024 });
    const name = optString(p, 'FirmwareName', { maxLength: 64, expected: 'a name of at most 64 characters' }) ?? '';
    const description = optString(p, 'FirmwareDescription', { maxLength: 256, expected: 'a description of at most 256 characters' }) ?? '';
    const type = fwType(p);
    const base64 = optString(p, CONTENT_PARAM, { pattern: /^[A-Za-z0-9+/]*={0,2}$/, expected: 'the firmware bytes in standard base64' });
    let content: Buffer | null = null;
    if (base64 !== undefined) {
      content = Buffer.from(base64, 'base64');
      if (content.length > MAX_INLINE_BYTES) throw invalid(CONTENT_PARAM, `at most ${MAX_INLINE_BYTES} bytes of firmware`, `${content.length} bytes`);
      if (content.length !== size) throw invalid('FileSize', `the length of ${CONTENT_PARAM} (${content.length} bytes)`, size);
      const actual = createHash('md5').update(content).digest('hex');
      if (actual !== md5) throw invalid('Md5sum', `the MD5 of ${CONTENT_PARAM} (${actual})`, md5);
    }
    requireProduct(ctx.registry, productId);
    const engine = engineOf(ctx);
    if (engine.store.firmware(productId, version)) {
      throw new ApiError('InvalidParameterValue.FirmwareAlreadyExist', `product ${productId} already has firmware version ${version}`); // OTA-013
    }
    engine.store.insertFirmware({ product_id: productId, version, name, description, fw_type: type, md5, size, content, created_at: ctx.nowSeconds() });
    return {};
  },
};

const DescribeFirmware: Action = {
  params: ['ProductID', 'FirmwareVersion'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = reqString(p, 'FirmwareVersion', VERSION);
    const f = requireFirmware(ctx, productId, version);
    const product = requireProduct(ctx.registry, productId);
    return {
      Version: f.version, ProductId: f.product_id, Name: f.name, Description: f.description, Md5sum: f.md5,
      Createtime: f.created_at, ProductName: product.productName, FwType: f.fw_type,
    };
  },
};

const EditFirmware: Action = {
  params: ['ProductID', 'FirmwareVersion', 'FirmwareName', 'FirmwareDescription', 'FwType'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = reqString(p, 'FirmwareVersion', VERSION);
    const name = reqString(p, 'FirmwareName', { maxLength: 64, expected: 'a name of at most 64 characters' });
    const description = optString(p, 'FirmwareDescription', { maxLength: 256, expected: 'a description of at most 256 characters' });
    const f = requireFirmware(ctx, productId, version);
    const type = p.FwType === undefined ? f.fw_type : fwType(p);
    engineOf(ctx).store.editFirmware(productId, version, name, description ?? f.description, type);
    return {};
  },
};

const GetCOSURL: Action = {
  params: ['ProductID', 'FirmwareVersion'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = reqString(p, 'FirmwareVersion', VERSION);
    requireFirmware(ctx, productId, version);
    return { Url: engineOf(ctx).firmwareUrl(productId, version) }; // OTA-015
  },
};

const BatchUpdateFirmware: Action = {
  params: ['ProductID', 'FirmwareVersion', 'FirmwareOriVersion', 'UpgradeMethod', 'FileName', 'FileMd5', 'FileSize', 'DeviceNames', 'TimeoutInterval'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = reqString(p, 'FirmwareVersion', VERSION);
    const ori = optString(p, 'FirmwareOriVersion', VERSION);
    const method = optInt(p, 'UpgradeMethod', { oneOf: [0, 1] }) ?? 0;
    const timeout = optInt(p, 'TimeoutInterval', { min: 60, max: 3600, expected: 'a number of seconds from 60 to 3600' }) ?? null; // OTA-016
    if (p.FileName !== undefined || p.FileMd5 !== undefined || p.FileSize !== undefined) {
      throw invalid('FileName', 'absent: device-list files are not supported by this hub; name the devices in DeviceNames', p.FileName);
    }
    let names: string[] | undefined;
    if (p.DeviceNames !== undefined) {
      if (!Array.isArray(p.DeviceNames) || p.DeviceNames.length === 0) throw invalid('DeviceNames', 'a non-empty array of device names', p.DeviceNames);
      names = p.DeviceNames.map((n, i) => {
        if (typeof n !== 'string' || !DEVICE_NAME.pattern.test(n)) throw invalid(`DeviceNames.${i}`, DEVICE_NAME.expected, n);
        return n;
      });
    }
    if (ori === undefined && names === undefined) throw missing('FirmwareOriVersion (or DeviceNames)');
    const f = requireFirmware(ctx, productId, version);
    const engine = engineOf(ctx);
    for (const n of names ?? []) {
      if (!ctx.registry.getDevice(productId, n)) throw new ApiError('ResourceNotFound.DeviceNotExist', `device ${n} does not exist in product ${productId}`);
    }
    const targets = names
      ? names.filter((n) => ori === undefined || engine.store.deviceVersion(productId, n) === ori)
      : engine.store.devicesWithVersion(productId, ori!);
    for (const n of targets) {
      // OTA-017: one unfinished task per device
      if (engine.openEntry(productId, n)) throw new ApiError('FailedOperation.DeviceIsUpdating', `device ${n} is already upgrading; cancel its task first`);
    }
    const now = ctx.nowSeconds();
    const taskId = engine.store.db.transaction(() => {
      const id = engine.store.insertTask({
        product_id: productId, version, ori_version: ori ?? null, device_names: names ? JSON.stringify(names) : null,
        mode: names ? 'devicenames' : 'originalVersion', method, timeout_s: timeout, created_at: now,
      });
      for (const n of targets) engine.store.insertEntry(id, productId, n, engine.store.deviceVersion(productId, n) ?? '', now);
      return id;
    })();
    for (const e of engine.store.entriesOfTask(taskId)) engine.notify(e, f.version); // OTA-001
    return { TaskId: taskId };
  },
};

const taskParams = (ctx: ActionContext, p: Params) => {
  const productId = reqString(p, 'ProductID', PRODUCT_ID);
  const version = reqString(p, 'FirmwareVersion', VERSION);
  const taskId = reqInt(p, 'TaskId', { min: 0 });
  requireProduct(ctx.registry, productId);
  return { productId, version, taskId };
};

const DescribeFirmwareTask: Action = {
  params: ['ProductID', 'FirmwareVersion', 'TaskId'],
  run(ctx, p) {
    const { productId, version, taskId } = taskParams(ctx, p);
    const t = requireTask(ctx, productId, version, taskId);
    const engine = engineOf(ctx);
    engine.expire();
    return {
      TaskId: t.task_id, Status: taskStatus(engine, t), CreateTime: t.created_at, Type: 1,
      ProductName: requireProduct(ctx.registry, productId).productName, UpgradeMode: t.mode, ProductId: productId,
    };
  },
};

const DescribeFirmwareTasks: Action = {
  params: ['ProductID', 'FirmwareVersion', 'Offset', 'Limit', 'Filters'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = reqString(p, 'FirmwareVersion', VERSION);
    const offset = reqInt(p, 'Offset', { min: 0 });
    const limit = reqInt(p, 'Limit', { min: 1, max: 100 });
    requireProduct(ctx.registry, productId);
    const engine = engineOf(ctx);
    engine.expire();
    const tasks = engine.store.tasksOf(productId, version);
    return {
      TaskInfos: tasks.slice(offset, offset + limit).map((t) => ({ TaskId: t.task_id, Status: taskStatus(engine, t), Type: 1, CreateTime: t.created_at })),
      Total: tasks.length,
    };
  },
};

/** Filters[{Key, Value}]: this hub understands TaskId, DeviceName and Status (others are refused, naming these). */
function filterEntries(entries: TaskDevice[], filters: unknown): TaskDevice[] {
  if (filters === undefined) return entries;
  if (!Array.isArray(filters)) throw invalid('Filters', 'an array of {Key, Value}', filters);
  let out = entries;
  filters.forEach((f, i) => {
    const { Key: key, Value: value } = (f ?? {}) as { Key?: unknown; Value?: unknown };
    if (typeof value !== 'string') throw invalid(`Filters.${i}.Value`, 'a string', value);
    if (key === 'TaskId') out = out.filter((e) => String(e.task_id) === value);
    else if (key === 'DeviceName') out = out.filter((e) => e.device_name === value);
    else if (key === 'Status') out = out.filter((e) => String(e.status) === value);
    else throw invalid(`Filters.${i}.Key`, '"TaskId", "DeviceName" or "Status"', key);
  });
  return out;
}

const DescribeFirmwareTaskDevices: Action = {
  params: ['ProductID', 'FirmwareVersion', 'Filters', 'Offset', 'Limit'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = optString(p, 'FirmwareVersion', VERSION);
    const offset = optInt(p, 'Offset', { min: 0 }) ?? 0;
    const limit = optInt(p, 'Limit', { min: 1, max: 250 }) ?? 20;
    requireProduct(ctx.registry, productId);
    const engine = engineOf(ctx);
    engine.expire();
    const versions = version !== undefined ? [version] : [...new Set(engine.store.tasksOfProduct(productId).map((t) => t.version))];
    const all = versions.flatMap((v) => engine.store.entriesOfVersion(productId, v).map((e) => ({ e, v })));
    const kept = new Set(filterEntries(all.map((x) => x.e), p.Filters));
    const rows = all.filter((x) => kept.has(x.e));
    return { Total: rows.length, Devices: rows.slice(offset, offset + limit).map((x) => statusView(x.e, x.v)) }; // OTA-018
  },
};

const DescribeFirmwareTaskStatistics: Action = {
  params: ['ProductID', 'FirmwareVersion'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const version = reqString(p, 'FirmwareVersion', VERSION);
    requireProduct(ctx.registry, productId);
    const engine = engineOf(ctx);
    engine.expire();
    const entries = engine.store.entriesOfVersion(productId, version);
    return {
      SuccessTotal: entries.filter((e) => e.status === DEVICE_STATUS.done).length,
      FailureTotal: entries.filter((e) => e.status === DEVICE_STATUS.failed).length,
      UpgradingTotal: entries.filter((e) => UNFINISHED.includes(e.status)).length,
    };
  },
};

const DescribeFirmwareTaskDistribution: Action = {
  params: ['ProductID', 'FirmwareVersion', 'TaskId'],
  run(ctx, p) {
    const { productId, version, taskId } = taskParams(ctx, p);
    requireTask(ctx, productId, version, taskId);
    const engine = engineOf(ctx);
    engine.expire();
    const counts = new Map<number, number>();
    for (const e of engine.store.entriesOfTask(taskId)) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
    return { StatusInfos: [...counts].sort((a, b) => a[0] - b[0]).map(([Status, Total]) => ({ Status, Total })) };
  },
};

function deviceTask(ctx: ActionContext, p: Params) {
  const { productId, version, taskId } = taskParams(ctx, p);
  const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
  const engine = engineOf(ctx);
  engine.expire();
  const t = engine.store.task(taskId);
  const e = t && t.product_id === productId && t.version === version ? engine.store.entry(taskId, deviceName) : undefined;
  if (!e) throw new ApiError('ResourceNotFound.DeviceFirmwareTaskNotExist', `device ${deviceName} has no upgrade to ${version} in task ${taskId}`);
  return { engine, e, version };
}

const CancelDeviceFirmwareTask: Action = {
  params: ['ProductID', 'DeviceName', 'FirmwareVersion', 'TaskId'],
  run(ctx, p) {
    const { engine, e } = deviceTask(ctx, p);
    if (!UNFINISHED.includes(e.status)) throw new ApiError('FailedOperation.DeviceFirmwareTaskAlreadDone', `the upgrade of ${e.device_name} in task ${e.task_id} has already finished (status ${e.status})`);
    engine.store.updateEntry({ ...e, status: DEVICE_STATUS.cancelled, last_process: ctx.nowSeconds() }); // OTA-019
    return {};
  },
};

const RetryDeviceFirmwareTask: Action = {
  params: ['ProductID', 'DeviceName', 'FirmwareVersion', 'TaskId'],
  run(ctx, p) {
    const { engine, e, version } = deviceTask(ctx, p);
    if (e.status === DEVICE_STATUS.done) throw new ApiError('FailedOperation.DeviceFirmwareTaskAlreadDone', `${e.device_name} has already upgraded to ${version} in task ${e.task_id}`);
    const open = engine.openEntry(e.product_id, e.device_name);
    if (open && open.task_id !== e.task_id) throw new ApiError('FailedOperation.DeviceRunningOtherOtaTask', `${e.device_name} is upgrading in task ${open.task_id}`);
    const fresh = { ...e, status: DEVICE_STATUS.waiting, percent: 0, retcode: 0, err_msg: '', last_process: ctx.nowSeconds() };
    engine.store.updateEntry(fresh);
    engine.notify(fresh, version); // OTA-019: sent again at once to an online device
    return {};
  },
};

export const OTA_ACTIONS: Readonly<Record<string, Action>> = {
  UploadFirmware, DescribeFirmware, EditFirmware, GetCOSURL, BatchUpdateFirmware,
  DescribeFirmwareTask, DescribeFirmwareTasks, DescribeFirmwareTaskDevices, DescribeFirmwareTaskStatistics,
  DescribeFirmwareTaskDistribution, CancelDeviceFirmwareTask, RetryDeviceFirmwareTask,
};

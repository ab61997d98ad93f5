// The OTA engine of one hub: version reports, progress reports, update_firmware messages and upgrade tasks.

import { createHash } from 'node:crypto';
import type { DeviceMessage, ServiceContext } from '../types.js';
import { DEVICE_STATUS, OtaStore, UNFINISHED, type Firmware, type TaskDevice } from './store.js';
import { normalizeBase } from './url.js';

const PROGRESS_STATUS: Record<string, number> = {
  downloading: DEVICE_STATUS.downloading,
  burning: DEVICE_STATUS.burning,
  done: DEVICE_STATUS.done,
  fail: DEVICE_STATUS.failed,
};

/** A number that SDKs send as a string ("10", "-1"); a JSON number is accepted too. */
function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

export class OtaEngine {
  readonly store: OtaStore;
  /** The URL of the firmware-only listener, when the hub runs one (HubOptions.firmwarePort). */
  listenerUrl?: string;
  constructor(readonly ctx: ServiceContext) {
    this.store = new OtaStore(ctx.registry.db);
  }

  private get nowS(): number {
    return Math.floor(this.ctx.clock.now() / 1000);
  }

  /**
   * Where firmware URLs start: the configured base URL, else the firmware listener's, else the API's; a default port is
   * left out (OTA-012: the C SDK cannot fetch a URL naming a port, ":80" included).
   */
  baseUrl(): string {
    if (this.ctx.faults.has('ota-url-with-port')) return this.ctx.apiUrl ?? 'http://127.0.0.1';
    return normalizeBase(this.ctx.settings.firmwareBaseUrl ?? this.listenerUrl ?? this.ctx.apiUrl ?? 'http://127.0.0.1');
  }

  /** The download URL of a firmware (update_firmware.url and GetCOSURL). */
  firmwareUrl(productId: string, version: string): string {
    return `${this.baseUrl()}/firmware/${encodeURIComponent(productId)}/${encodeURIComponent(version)}`;
  }

  updateMessage(f: Firmware): string {
    let md5 = f.md5;
    if (this.ctx.faults.has('ota-wrong-md5')) md5 = createHash('md5').update(md5).digest('hex');
    // OTA-001: exactly the documented fields
    return JSON.stringify({ file_size: f.size, md5sum: md5, type: 'update_firmware', url: this.firmwareUrl(f.product_id, f.version), version: f.version });
  }

  /** Sends update_firmware for an entry (to an offline device it is lost: the device gets it when it reports its version). */
  notify(e: TaskDevice, version: string): void {
    const f = this.store.firmware(e.product_id, version);
    if (!f) return;
    const online = this.ctx.sessions.isOnline(e.product_id, e.device_name);
    if (!online) return;
    const status = e.status === DEVICE_STATUS.waiting ? DEVICE_STATUS.notified : e.status;
    this.store.updateEntry({ ...e, status, last_process: this.nowS, notified_ms: this.ctx.clock.advanced() });
    void this.ctx.publish(`$ota/update/${e.product_id}/${e.device_name}`, this.updateMessage(f), 1)
      .catch((err) => this.ctx.log(`ota: update_firmware to ${e.product_id}/${e.device_name} failed: ${String(err)}`));
  }

  /**
   * Fails the upgrades that outlasted their task's TimeoutInterval (OTA-021). Measured on the hub's retention clock,
   * which the test clock advances (hub/clock.ts), so the timeout is testable without waiting.
   */
  expire(): void {
    if (this.ctx.faults.has('ota-no-timeout')) return;
    this.store.expire(this.ctx.clock.advanced(), this.nowS);
  }

  /** The device's unfinished entry, if any (a device upgrades one task at a time: OTA-017). */
  openEntry(productId: string, deviceName: string): (TaskDevice & { version: string }) | undefined {
    this.expire();
    for (const e of this.store.entriesOfDevice(productId, deviceName)) {
      if (!UNFINISHED.includes(e.status)) continue;
      const t = this.store.task(e.task_id);
      if (t) return { ...e, version: t.version };
    }
    return undefined;
  }

  handle(m: DeviceMessage): void {
    let msg: unknown;
    try {
      msg = JSON.parse(m.payload.toString('utf8'));
    } catch {
      return this.ctx.log(`ota: ${m.productId}/${m.deviceName} sent a report that is not JSON; ignored`);
    }
    if (typeof msg !== 'object' || msg === null) return;
    const { type, report } = msg as { type?: unknown; report?: unknown };
    if (typeof report !== 'object' || report === null) return this.ctx.log(`ota: ${m.productId}/${m.deviceName} ${String(type)} without a report object; ignored`);
    const r = report as { version?: unknown; progress?: unknown };
    if (type === 'report_version') return this.onVersion(m, r.version);
    if (type === 'report_progress') return this.onProgress(m, r.version, r.progress); // OTA-004: never answered
    this.ctx.log(`ota: ${m.productId}/${m.deviceName} unknown type ${JSON.stringify(type)}; ignored`);
  }

  private onVersion(m: DeviceMessage, version: unknown): void {
    const { productId, deviceName } = m;
    const topic = `$ota/update/${productId}/${deviceName}`;
    if (typeof version !== 'string' || version === '') {
      void this.ctx.publish(topic, JSON.stringify({ result_code: 1, result_msg: 'report.version must be a non-empty string', type: 'report_version_rsp', version: '' }), 1).catch(() => {});
      return;
    }
    this.store.setDeviceVersion(productId, deviceName, version, this.nowS); // OTA-003
    // OTA-002: the answer seen in the C SDK's sample logs
    void this.ctx.publish(topic, JSON.stringify({ result_code: 0, result_msg: 'success', type: 'report_version_rsp', version }), 1).catch(() => {});
    let open = this.openEntry(productId, deviceName);
    if (open && open.version === version) {
      // the device came back on the target version: the upgrade is done
      this.store.updateEntry({ ...open, status: DEVICE_STATUS.done, percent: 100, retcode: 0, err_msg: '', last_process: this.nowS });
      return;
    }
    if (!open) {
      // OTA-007, OTA-009: a task by original version picks up a device when it reports that version
      for (const t of this.store.oriTasks(productId, version)) {
        if (t.device_names && !(JSON.parse(t.device_names) as string[]).includes(deviceName)) continue;
        if (this.store.entry(t.task_id, deviceName)) continue;
        this.store.insertEntry(t.task_id, productId, deviceName, version, this.nowS);
        open = this.openEntry(productId, deviceName);
        break;
      }
    }
    if (open) this.notify(open, open.version); // OTA-008: sent again while the task is unfinished (resume)
  }

  private onProgress(m: DeviceMessage, version: unknown, progress: unknown): void {
    if (typeof progress !== 'object' || progress === null) return this.ctx.log(`ota: ${m.productId}/${m.deviceName} report_progress without a progress object; ignored`);
    const p = progress as { state?: unknown; percent?: unknown; result_code?: unknown; result_msg?: unknown };
    // OTA-022: exactly the four documented states; anything else changes nothing
    let status = typeof p.state === 'string' && Object.hasOwn(PROGRESS_STATUS, p.state) ? PROGRESS_STATUS[p.state] : undefined;
    if (status === undefined && this.ctx.faults.has('ota-any-progress-state')) status = DEVICE_STATUS.downloading;
    if (status === undefined) return this.ctx.log(`ota: ${m.productId}/${m.deviceName} unknown progress state ${JSON.stringify(p.state)}; ignored`);
    const open = this.openEntry(m.productId, m.deviceName);
    if (!open || (typeof version === 'string' && version !== open.version)) return;
    const percent = status === DEVICE_STATUS.done ? 100 : Math.max(0, Math.min(100, intOf(p.percent) ?? open.percent));
    const retcode = status === DEVICE_STATUS.failed ? (intOf(p.result_code) ?? -5) : 0; // OTA-006: result_msg is not relied on
    this.store.updateEntry({
      ...open, status, percent, retcode,
      err_msg: status === DEVICE_STATUS.failed && typeof p.result_msg === 'string' ? p.result_msg : '',
      last_process: this.nowS,
    });
  }
}

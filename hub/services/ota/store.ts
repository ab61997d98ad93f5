// OTA state in the registry's SQLite database: firmware (with its bytes), reported device versions, upgrade tasks and per-device status.

import type Database from 'better-sqlite3';

// Own tables, created on start; rows go with their product/device (ON DELETE CASCADE).
const MIGRATION = `
CREATE TABLE IF NOT EXISTS ota_firmware (
  product_id   TEXT NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
  version      TEXT NOT NULL,
  name         TEXT NOT NULL DEFAULT '',
  description  TEXT NOT NULL DEFAULT '',
  fw_type      TEXT NOT NULL DEFAULT 'mcu',
  md5          TEXT NOT NULL,             -- lowercase hex
  size         INTEGER NOT NULL,
  content      BLOB,                      -- NULL until the bytes are uploaded (hub/README.md: UploadFirmware)
  created_at   INTEGER NOT NULL,          -- Unix seconds
  PRIMARY KEY (product_id, version)
);
CREATE TABLE IF NOT EXISTS ota_device_versions (
  product_id   TEXT NOT NULL,
  device_name  TEXT NOT NULL,
  version      TEXT NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (product_id, device_name),
  FOREIGN KEY (product_id, device_name) REFERENCES devices(product_id, device_name) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS ota_tasks (
  task_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  product_id   TEXT NOT NULL REFERENCES products(product_id) ON DELETE CASCADE,
  version      TEXT NOT NULL,
  ori_version  TEXT,                      -- NULL: by device names only
  device_names TEXT,                      -- JSON array, NULL: every device reporting ori_version
  mode         TEXT NOT NULL,             -- originalVersion | devicenames
  method       INTEGER NOT NULL,
  timeout_s    INTEGER,
  created_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ota_task_devices (
  task_id      INTEGER NOT NULL REFERENCES ota_tasks(task_id) ON DELETE CASCADE,
  product_id   TEXT NOT NULL,
  device_name  TEXT NOT NULL,
  ori_version  TEXT NOT NULL DEFAULT '',
  status       INTEGER NOT NULL,
  percent      INTEGER NOT NULL DEFAULT 0,
  retcode      INTEGER NOT NULL DEFAULT 0,
  err_msg      TEXT NOT NULL DEFAULT '',
  last_process INTEGER NOT NULL,          -- Unix seconds
  notified_ms  INTEGER,                   -- when update_firmware was last sent, on the retention clock (for TimeoutInterval)
  PRIMARY KEY (task_id, device_name),
  FOREIGN KEY (product_id, device_name) REFERENCES devices(product_id, device_name) ON DELETE CASCADE
);
`;

/** Per-device status codes (DeviceUpdateStatus.Status); chosen to fit Appendix A's example (0, 5, 6), see hub/README.md. */
export const DEVICE_STATUS = { waiting: 0, notified: 2, downloading: 3, burning: 4, failed: 5, done: 6, cancelled: 9 } as const;
export const UNFINISHED = [DEVICE_STATUS.waiting, DEVICE_STATUS.notified, DEVICE_STATUS.downloading, DEVICE_STATUS.burning] as readonly number[];

export interface Firmware {
  product_id: string; version: string; name: string; description: string; fw_type: string; md5: string; size: number; content: Buffer | null; created_at: number;
}
export interface Task {
  task_id: number; product_id: string; version: string; ori_version: string | null; device_names: string | null; mode: string; method: number; timeout_s: number | null; created_at: number;
}
export interface TaskDevice {
  task_id: number; product_id: string; device_name: string; ori_version: string; status: number; percent: number; retcode: number; err_msg: string; last_process: number; notified_ms: number | null;
}

export class OtaStore {
  readonly db: Database.Database;
  private readonly st;
  constructor(db: Database.Database) {
    this.db = db;
    db.exec(MIGRATION);
    this.st = {
      firmware: db.prepare<[string, string], Firmware>('SELECT * FROM ota_firmware WHERE product_id = ? AND version = ?'),
      insertFirmware: db.prepare(
        'INSERT INTO ota_firmware (product_id, version, name, description, fw_type, md5, size, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      editFirmware: db.prepare('UPDATE ota_firmware SET name = ?, description = ?, fw_type = ? WHERE product_id = ? AND version = ?'),
      deviceVersion: db.prepare<[string, string], { version: string }>('SELECT version FROM ota_device_versions WHERE product_id = ? AND device_name = ?'),
      devicesWithVersion: db.prepare<[string, string], { device_name: string }>('SELECT device_name FROM ota_device_versions WHERE product_id = ? AND version = ?'),
      setDeviceVersion: db.prepare(
        `INSERT INTO ota_device_versions (product_id, device_name, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(product_id, device_name) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      ),
      insertTask: db.prepare(
        'INSERT INTO ota_tasks (product_id, version, ori_version, device_names, mode, method, timeout_s, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      task: db.prepare<[number], Task>('SELECT * FROM ota_tasks WHERE task_id = ?'),
      tasksOfProduct: db.prepare<[string], Task>('SELECT * FROM ota_tasks WHERE product_id = ? ORDER BY task_id'),
      tasksOf: db.prepare<[string, string], Task>('SELECT * FROM ota_tasks WHERE product_id = ? AND version = ? ORDER BY task_id'),
      openOriTasks: db.prepare<[string, string], Task>('SELECT * FROM ota_tasks WHERE product_id = ? AND ori_version = ? ORDER BY task_id'),
      insertEntry: db.prepare(
        'INSERT OR IGNORE INTO ota_task_devices (task_id, product_id, device_name, ori_version, status, last_process) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      entry: db.prepare<[number, string], TaskDevice>('SELECT * FROM ota_task_devices WHERE task_id = ? AND device_name = ?'),
      entriesOfTask: db.prepare<[number], TaskDevice>('SELECT * FROM ota_task_devices WHERE task_id = ? ORDER BY device_name'),
      entriesOfDevice: db.prepare<[string, string], TaskDevice>('SELECT * FROM ota_task_devices WHERE product_id = ? AND device_name = ? ORDER BY task_id'),
      entriesOfVersion: db.prepare<[string, string], TaskDevice & { version: string }>(
        `SELECT d.*, t.version FROM ota_task_devices d JOIN ota_tasks t ON t.task_id = d.task_id
         WHERE t.product_id = ? AND t.version = ? ORDER BY d.task_id, d.device_name`,
      ),
      updateEntry: db.prepare(
        'UPDATE ota_task_devices SET status = ?, percent = ?, retcode = ?, err_msg = ?, last_process = ?, notified_ms = ? WHERE task_id = ? AND device_name = ?',
      ),
      expired: db.prepare<[number], TaskDevice & { timeout_s: number }>(
        `SELECT d.*, t.timeout_s FROM ota_task_devices d JOIN ota_tasks t ON t.task_id = d.task_id
         WHERE t.timeout_s IS NOT NULL AND d.status IN (2, 3, 4) AND d.notified_ms IS NOT NULL AND d.notified_ms + t.timeout_s * 1000 < ?`,
      ),
    };
  }

  firmware(productId: string, version: string): Firmware | undefined {
    return this.st.firmware.get(productId, version);
  }
  insertFirmware(f: Firmware): void {
    this.st.insertFirmware.run(f.product_id, f.version, f.name, f.description, f.fw_type, f.md5, f.size, f.content, f.created_at);
  }
  editFirmware(productId: string, version: string, name: string, description: string, fwType: string): void {
    this.st.editFirmware.run(name, description, fwType, productId, version);
  }
  deviceVersion(productId: string, deviceName: string): string | undefined {
    return this.st.deviceVersion.get(productId, deviceName)?.version;
  }
  devicesWithVersion(productId: string, version: string): string[] {
    return this.st.devicesWithVersion.all(productId, version).map((r) => r.device_name);
  }
  setDeviceVersion(productId: string, deviceName: string, version: string, at: number): void {
    this.st.setDeviceVersion.run(productId, deviceName, version, at);
  }
  insertTask(t: Omit<Task, 'task_id'>): number {
    return Number(this.st.insertTask.run(t.product_id, t.version, t.ori_version, t.device_names, t.mode, t.method, t.timeout_s, t.created_at).lastInsertRowid);
  }
  task(taskId: number): Task | undefined {
    return this.st.task.get(taskId);
  }
  tasksOfProduct(productId: string): Task[] {
    return this.st.tasksOfProduct.all(productId);
  }
  tasksOf(productId: string, version: string): Task[] {
    return this.st.tasksOf.all(productId, version);
  }
  oriTasks(productId: string, oriVersion: string): Task[] {
    return this.st.openOriTasks.all(productId, oriVersion);
  }
  insertEntry(taskId: number, productId: string, deviceName: string, oriVersion: string, at: number): void {
    this.st.insertEntry.run(taskId, productId, deviceName, oriVersion, DEVICE_STATUS.waiting, at);
  }
  entry(taskId: number, deviceName: string): TaskDevice | undefined {
    return this.st.entry.get(taskId, deviceName);
  }
  entriesOfTask(taskId: number): TaskDevice[] {
    return this.st.entriesOfTask.all(taskId);
  }
  entriesOfDevice(productId: string, deviceName: string): TaskDevice[] {
    return this.st.entriesOfDevice.all(productId, deviceName);
  }
  entriesOfVersion(productId: string, version: string): TaskDevice[] {
    return this.st.entriesOfVersion.all(productId, version);
  }
  updateEntry(e: TaskDevice): void {
    this.st.updateEntry.run(e.status, e.percent, e.retcode, e.err_msg, e.last_process, e.notified_ms, e.task_id, e.device_name);
  }
  /**
   * Fails every notified/downloading/burning entry whose task's TimeoutInterval has passed by `nowMs` (the clock
   * notified_ms was taken on) as a -1 timeout, stamped `nowS` (OTA-021).
   */
  expire(nowMs: number, nowS: number): void {
    for (const e of this.st.expired.all(nowMs)) {
      this.updateEntry({ ...e, status: DEVICE_STATUS.failed, retcode: -1, err_msg: 'time_out', last_process: nowS });
    }
  }
}

// Bulk import of devices into a registry file (`hubcheck hub --data FILE --import-devices CSV`): millions of rows without a million API calls.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { SCHEMA } from './schema.js';

export const BULK_HEADER = 'productId,deviceName,psk';
const PRODUCT_ID_RE = /^[A-Z0-9]{10}$/;
const DEVICE_NAME_RE = /^[a-zA-Z0-9:_-]{1,48}$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Rows per transaction: large enough that commits do not dominate, small enough to show progress. */
const BATCH = 50_000;

export interface ImportResult {
  products: number;
  devices: number;
  /** Rows already in the registry (same product and device name): left as they were. */
  skipped: number;
  seconds: number;
}

export class BulkImportError extends Error {}

/**
 * Imports a CSV of `productId,deviceName,psk` (key devices) into the registry at `dbFile`, creating products that do not
 * exist yet (named `bulk_<productId>`, key authentication). Runs before the hub opens the file.
 */
export async function importDevices(dbFile: string, csvFile: string, progress?: (rows: number) => void, nowSeconds = Math.floor(Date.now() / 1000)): Promise<ImportResult> {
  const started = performance.now();
  const db = new Database(dbFile);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // a failed import is simply run again: INSERT OR IGNORE makes it idempotent
    db.exec(SCHEMA);
    const properties = JSON.stringify({ ProductDescription: 'bulk import', EncryptionType: '2', Region: 'gz', ProductType: 0, Format: 'json' });
    const insertProduct = db.prepare('INSERT OR IGNORE INTO products (product_id, product_name, properties, created_at) VALUES (?, ?, ?, ?)');
    const insertDevice = db.prepare("INSERT OR IGNORE INTO devices (product_id, device_name, psk, tags, created_at) VALUES (?, ?, ?, '[]', ?)");
    const knownProducts = new Set<string>();
    let products = 0;
    let devices = 0;
    let skipped = 0;
    let batch: [string, string, string][] = [];
    const flush = db.transaction((rows: [string, string, string][]) => {
      for (const [pid, dn, psk] of rows) {
        if (!knownProducts.has(pid)) {
          knownProducts.add(pid);
          products += insertProduct.run(pid, `bulk_${pid}`, properties, nowSeconds).changes;
        }
        if (insertDevice.run(pid, dn, psk, nowSeconds).changes) devices++;
        else skipped++;
      }
    });
    const input = createReadStream(csvFile);
    const opened = new Promise<void>((resolve, reject) => {
      input.once('open', () => resolve());
      input.once('error', (e: NodeJS.ErrnoException) => reject(new BulkImportError(`--import-devices ${csvFile}: cannot read (${e.code ?? e.message})`)));
    });
    await opened;
    let line = 0;
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line++;
      if (line === 1) {
        if (text.trim() !== BULK_HEADER) throw new BulkImportError(`--import-devices ${csvFile}: line 1 must be the header "${BULK_HEADER}" (write one with hubcheck load --make-fixtures FILE)`);
        continue;
      }
      if (!text) continue;
      const [pid, dn, psk, extra] = text.split(',');
      if (extra !== undefined || !pid || !PRODUCT_ID_RE.test(pid) || !dn || !DEVICE_NAME_RE.test(dn) || !psk || !BASE64_RE.test(psk)) {
        throw new BulkImportError(`--import-devices ${csvFile}: line ${line} is not productId,deviceName,psk (productId: 10 of [A-Z0-9]; deviceName: 1-48 of [a-zA-Z0-9:_-]; psk: Base64)`);
      }
      batch.push([pid, dn, psk]);
      if (batch.length >= BATCH) {
        flush(batch);
        batch = [];
        progress?.(devices + skipped);
      }
    }
    if (batch.length) flush(batch);
    return { products, devices, skipped, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}

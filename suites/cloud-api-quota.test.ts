// The account's product quota at its exact boundary (protocol.md §11: 2000 products per account).
//
// The quota is the account's, so this test fills the account: while it holds the last free place, product creations
// by anything else on the same account are refused too. It keeps that moment to a few requests.
import { expect } from 'vitest';
import { type CloudApi, apiErrorCode as errorCode } from '../src/client/cloud-api.js';
import { req } from './support/harness.js';
import { uniqueName } from './support/provision.js';

/** Products per account (protocol.md §11, S-LIMITS and S-FUNC agree). */
const PRODUCT_QUOTA = 2000;
/** Creations in flight at once while filling the account. */
const PARALLEL = 16;
const LIMIT_CODE = 'LimitExceeded.ProductExceedLimit';

const totalProducts = async (api: CloudApi) => (await api.call<{ TotalCount: number }>('DescribeProducts', { Offset: 0, Limit: 10 })).TotalCount;
const create = (api: CloudApi) => api.call<{ ProductId: string }>('CreateProduct', { ProductName: uniqueName('apiq').slice(0, 32), ProductProperties: { EncryptionType: '2' } });

async function inParallel<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

req(['API-025'], 'with 1999 products CreateProduct succeeds, with 2000 it is refused and creates nothing, and a deletion makes room', async (h) => {
  const api = h.api();
  const mine: string[] = [];
  const refusals: number[] = [];
  try {
    const start = await totalProducts(api);
    expect(start, `the account already holds ${start} products`).toBeLessThan(PRODUCT_QUOTA);
    // Fill to 1999 in rounds; a refusal before that means a quota below 2000.
    for (let round = 0; round < 20; round++) {
      const total = await totalProducts(api);
      if (total >= PRODUCT_QUOTA - 1) break;
      await inParallel(Array.from({ length: PRODUCT_QUOTA - 1 - total }, (_, i) => i), PARALLEL, async () => {
        const code = await errorCode(create(api).then((r) => { mine.push(r.ProductId); }));
        if (code === LIMIT_CODE) refusals.push(await totalProducts(api));
        else if (code !== undefined) throw new Error(`CreateProduct failed with ${code} while filling the account`);
      });
    }
    expect(refusals, `CreateProduct was refused with fewer than ${PRODUCT_QUOTA} products (TotalCount then: ${refusals.join(', ')})`).toEqual([]);

    // The boundary, judged only when nothing else changed the count around it (bounded retries).
    let judged = false;
    for (let attempt = 0; attempt < 5 && !judged; attempt++) {
      let total = await totalProducts(api);
      while (total > PRODUCT_QUOTA - 1 && mine.length) { await api.call('DeleteProduct', { ProductId: mine.pop()! }); total = await totalProducts(api); }
      if (total !== PRODUCT_QUOTA - 1) continue;
      const last = await errorCode(create(api).then((r) => { mine.push(r.ProductId); }));
      const atQuota = await totalProducts(api);
      const over = await errorCode(create(api).then((r) => { mine.push(r.ProductId); }));
      const after = await totalProducts(api);
      if (last === LIMIT_CODE || atQuota !== PRODUCT_QUOTA || after !== atQuota && over === LIMIT_CODE) continue; // someone else moved the count
      judged = true;
      expect(last, `CreateProduct with ${PRODUCT_QUOTA - 1} products`).toBeUndefined();
      expect(over, `CreateProduct with ${PRODUCT_QUOTA} products`).toBe(LIMIT_CODE);
      expect(after, 'the refused CreateProduct created nothing').toBe(PRODUCT_QUOTA);
      // a deletion makes room for exactly one more
      await api.call('DeleteProduct', { ProductId: mine.pop()! });
      const again = await errorCode(create(api).then((r) => { mine.push(r.ProductId); }));
      expect(again, `CreateProduct after a deletion brought the account back to ${PRODUCT_QUOTA - 1}`).toBeUndefined();
    }
    expect(judged, 'the product count kept changing around the boundary in every attempt').toBe(true);
  } finally {
    // free the account first (one deletion), then the rest
    await inParallel([...mine], PARALLEL, async (pid) => { await api.call('DeleteProduct', { ProductId: pid }).catch(() => {}); });
  }
}, { timeout: 120_000 });

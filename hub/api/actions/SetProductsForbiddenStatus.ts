// SetProductsForbiddenStatus: forbids (Status 1) or lifts the ban on (Status 0) several products, all or none; the
// devices of a forbidden product are disconnected and refused at login (AUTH-021, API-027). Note the request spells ProductID.

import type { Action } from '../context.js';
import { productNotExist } from '../errors.js';
import { PRODUCT_ID, reqInt, reqStringArray } from '../params.js';

export const SetProductsForbiddenStatus: Action = {
  params: ['ProductID', 'Status'],
  run(ctx, p) {
    const productIds = [...new Set(reqStringArray(p, 'ProductID', PRODUCT_ID))];
    const status = reqInt(p, 'Status', { oneOf: [0, 1], expected: '1 (forbid) or 0 (lift the ban)' });
    const missing = productIds.find((id) => !ctx.registry.getProduct(id));
    if (missing !== undefined) throw productNotExist(missing);
    // fault api-forbid-not-lifted: Status 0 is answered but the ban stays
    if (status === 0 && ctx.hub.faults.has('api-forbid-not-lifted')) return {};
    for (const productId of productIds) {
      ctx.registry.setProductForbidden(productId, status === 1);
      if (status === 1) ctx.sessions.disconnectProduct(productId, 'product forbidden');
    }
    return {};
  },
};

// SetProductsForbiddenStatus: forbids (Status 1) or allows again (Status 0) several products, all or none; forbidding
// closes the connections of their devices (AUTH-021, API-027).

import type { Action } from '../context.js';
import { productNotExist } from '../errors.js';
import { PRODUCT_ID, reqInt, reqStringArray } from '../params.js';

export const SetProductsForbiddenStatus: Action = {
  params: ['ProductID', 'Status'],
  run(ctx, p) {
    const productIds = [...new Set(reqStringArray(p, 'ProductID', PRODUCT_ID))];
    const status = reqInt(p, 'Status', { oneOf: [0, 1], expected: '1 (forbid) or 0 (allow)' });
    const missing = productIds.find((id) => !ctx.registry.getProduct(id));
    if (missing !== undefined) throw productNotExist(missing);
    for (const id of productIds) {
      ctx.registry.setProductForbidden(id, status === 1);
      if (status === 1) ctx.sessions.disconnectProduct(id, 'product forbidden');
    }
    return {};
  },
};

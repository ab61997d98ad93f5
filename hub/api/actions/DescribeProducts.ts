// DescribeProducts: a page of the account's products, oldest first.

import type { Action } from '../context.js';
import { PAGE, reqInt } from '../params.js';
import { productView } from '../views.js';

export const DescribeProducts: Action = {
  params: ['Offset', 'Limit'],
  run(ctx, p) {
    // API-018 (fault api-paging-ignores-offset always answers the first page)
    const offset = ctx.hub.faults.has('api-paging-ignores-offset') ? (reqInt(p, 'Offset', PAGE.offset), 0) : reqInt(p, 'Offset', PAGE.offset);
    const limit = reqInt(p, 'Limit', PAGE.limit);
    return {
      TotalCount: ctx.registry.countProducts(),
      Products: ctx.registry.listProducts(offset, limit).map(productView),
    };
  },
};

// DescribeProduct: one product's name, metadata and properties.

import type { Action } from '../context.js';
import { PRODUCT_ID, reqString } from '../params.js';
import { productView, requireProduct } from '../views.js';

export const DescribeProduct: Action = {
  params: ['ProductId'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    return productView(requireProduct(ctx.registry, productId));
  },
};

// DeleteProduct: removes an empty product and its topic policies.

import type { Action } from '../context.js';
import { ApiError } from '../errors.js';
import { optString, PRODUCT_ID, reqString } from '../params.js';
import { requireProduct } from '../views.js';

export const DeleteProduct: Action = {
  params: ['ProductId', 'Skey'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    optString(p, 'Skey');
    requireProduct(ctx.registry, productId);
    const devices = ctx.registry.countDevices(productId);
    // API-021 (fault api-delete-product-with-devices deletes it anyway)
    if (devices > 0 && !ctx.hub.faults.has('api-delete-product-with-devices')) {
      throw new ApiError('UnauthorizedOperation.DevicesExistUnderProduct', `product ${productId} still has ${devices} device(s); delete them first`);
    }
    ctx.registry.deleteProduct(productId);
    return {};
  },
};

// DescribeProduct: one product's name, metadata and properties.

import type { Action } from '../context.js';
import { PRODUCT_ID, reqString } from '../params.js';
import { productView, requireProduct } from '../views.js';
import { dynregProperties, dynregStore } from '../../services/register/index.js';

export const DescribeProduct: Action = {
  params: ['ProductId'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const view = productView(requireProduct(ctx.registry, productId));
    // HTTP-022: RegisterType, ProductSecret and RegisterLimit are kept by the register service
    return { ...view, ProductProperties: { ...view.ProductProperties, ...dynregProperties(dynregStore(ctx.registry).settings(productId)) } };
  },
};

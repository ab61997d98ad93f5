// CreateProduct: registers a product under a generated 10-character ProductId.

import { MAX_PRODUCT_DESCRIPTION_CHARS } from '../../limits.js';
import type { ProductProperties } from '../../registry/index.js';
import type { Action } from '../context.js';
import { ApiError } from '../errors.js';
import { checkKnown, optInt, optObject, optString, PRODUCT_NAME, reqString, type Params } from '../params.js';
import { dynregInput, dynregProperties, dynregStore } from '../../services/register/index.js';
import { GATEWAY_PRODUCT_TYPE } from '../../services/gateway/store.js';

const PROPERTY_NAMES = [
  'ProductDescription', 'EncryptionType', 'Region', 'ProductType', 'Format', 'Platform', 'Appeui',
  'ModelId', 'ModelName', 'ProductKey', 'RegisterType', 'ProductSecret', 'RegisterLimit',
] as const;

function properties(p: Params | undefined): ProductProperties {
  const props = p ?? {};
  checkKnown('ProductProperties', props, PROPERTY_NAMES);
  const at = (name: string) => `ProductProperties.${name}`;
  const scoped = Object.fromEntries(Object.entries(props).map(([k, v]) => [at(k), v]));
  const description = optString(scoped, at('ProductDescription'), {
    maxLength: MAX_PRODUCT_DESCRIPTION_CHARS,
    expected: `a string of at most ${MAX_PRODUCT_DESCRIPTION_CHARS} characters`,
  });
  // "2" (key) is this hub's default (suites and SDK samples use key devices); the real service defaults to "1" (certificate)
  const encryption = optString(scoped, at('EncryptionType'), { pattern: /^[12]$/, expected: '"1" (certificate) or "2" (key)' });
  const region = optString(scoped, at('Region'), { maxLength: 32, expected: 'a region string such as "gz"' });
  const productType = optInt(scoped, at('ProductType'), { min: 0, max: 5 });
  // GW-001: 5 is a gateway product; NB-IoT (2) and LoRa (3, 4) products are not served
  if (productType !== undefined && productType !== 0 && productType !== GATEWAY_PRODUCT_TYPE) {
    throw new ApiError('InvalidParameterValue.ProductTypeNotSupport', `ProductProperties.ProductType ${productType} is not supported by this hub; only 0 (normal product) and 5 (gateway)`);
  }
  const format = optString(scoped, at('Format'), { pattern: /^(json|custom)$/, expected: '"json" or "custom"' });
  for (const name of ['Platform', 'Appeui', 'ModelId', 'ModelName', 'ProductKey', 'ProductSecret']) optString(scoped, at(name));
  optInt(scoped, at('RegisterType'), { oneOf: [0, 1, 2] });
  optInt(scoped, at('RegisterLimit'), { min: 0 });
  return {
    ProductDescription: description ?? '',
    EncryptionType: (encryption ?? '2') as '1' | '2',
    Region: region ?? 'gz',
    ProductType: productType ?? 0,
    Format: format ?? 'json',
  };
}

export const CreateProduct: Action = {
  params: ['ProductName', 'ProductProperties', 'Skey'],
  run(ctx, p) {
    const name = reqString(p, 'ProductName', PRODUCT_NAME);
    const props = properties(optObject(p, 'ProductProperties'));
    const dynreg = dynregInput(optObject(p, 'ProductProperties')); // HTTP-022: RegisterType, RegisterLimit, ProductSecret
    optString(p, 'Skey');
    if (ctx.registry.getProductByName(name)) {
      throw new ApiError('InvalidParameterValue.ProductAlreadyExist', `a product named ${name} already exists`);
    }
    // API-025 (fault api-quota-off-by-one lets one product more in)
    if (ctx.registry.countProducts() >= ctx.quotas.productsPerAccount + (ctx.hub.faults.has('api-quota-off-by-one') ? 1 : 0)) {
      throw new ApiError('LimitExceeded.ProductExceedLimit', `the account already has ${ctx.quotas.productsPerAccount} products, the quota`);
    }
    const product = ctx.registry.createProduct(name, props, ctx.nowSeconds());
    const registration = dynregProperties(dynregStore(ctx.registry).init(product.productId, dynreg));
    return { ProductName: product.productName, ProductId: product.productId, ProductProperties: { ...product.properties, ...registration } };
  },
};


// Cloud API errors: a Tencent error code plus a message that names the field and what is expected.

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const missing = (name: string) => new ApiError('MissingParameter', `the request is missing the required parameter ${name}`);
export const invalid = (name: string, expected: string, got: unknown) =>
  new ApiError('InvalidParameterValue', `${name} must be ${expected} (got ${JSON.stringify(got) ?? String(got)})`);
export const productNotExist = (productId: string) =>
  new ApiError('ResourceNotFound.ProductNotExist', `product ${productId} does not exist`);
export const deviceNotExist = (productId: string, deviceName: string) =>
  new ApiError('ResourceNotFound.DeviceNotExist', `device ${deviceName} does not exist in product ${productId}`);

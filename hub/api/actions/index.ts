// The action table: every cloud API action this hub serves, by its X-TC-Action name.

import type { Action } from '../context.js';
import { CreateDevice } from './CreateDevice.js';
import { CreateProduct } from './CreateProduct.js';
import { CreateTopicPolicy } from './CreateTopicPolicy.js';
import { DeleteDevice } from './DeleteDevice.js';
import { DeleteProduct } from './DeleteProduct.js';
import { DescribeDevice } from './DescribeDevice.js';
import { DescribeDevices } from './DescribeDevices.js';
import { DescribeProduct } from './DescribeProduct.js';
import { DescribeProducts } from './DescribeProducts.js';
import { UpdateDeviceAvailableState } from './UpdateDeviceAvailableState.js';
import { UpdateDevicesEnableState } from './UpdateDevicesEnableState.js';
import { UpdateTopicPolicy } from './UpdateTopicPolicy.js';
import { SetProductsForbiddenStatus } from './SetProductsForbiddenStatus.js';

export const ACTIONS: Readonly<Record<string, Action>> = {
  CreateProduct,
  DescribeProduct,
  DescribeProducts,
  DeleteProduct,
  CreateDevice,
  DescribeDevice,
  DescribeDevices,
  DeleteDevice,
  UpdateDeviceAvailableState,
  UpdateDevicesEnableState,
  CreateTopicPolicy,
  UpdateTopicPolicy,
  SetProductsForbiddenStatus,
};

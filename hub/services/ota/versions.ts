// The firmware version each device last reported (report_version), for DescribeDevice.Version and DescribeDevices.FirmwareVersion (OTA-003).

import type { Registry } from '../../registry/index.js';
import { engines } from './actions.js';

/** The version the device last reported, or '' when it never did (or the OTA service is not running). */
export function firmwareVersionOf(registry: Registry, productId: string, deviceName: string): string {
  return engines.get(registry)?.store.deviceVersion(productId, deviceName) ?? '';
}

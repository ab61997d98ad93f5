// How products and devices look in API responses (ProductInfo, DeviceInfo of protocol.md Appendix B).

import type { Sessions } from '../auth/sessions.js';
import type { Device, Product, Registry } from '../registry/index.js';
import { deviceNotExist, productNotExist } from './errors.js';

export function productView(p: Product) {
  return {
    ProductId: p.productId,
    ProductName: p.productName,
    ProductMetadata: { CreationDate: p.createdAt },
    ProductProperties: p.properties,
  };
}

/** IPv4 dotted quad as an unsigned 32-bit integer in network order (DeviceInfo.ConnIP); 0 otherwise. */
function ipv4ToInt(ip: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return 0;
  return m.slice(1).reduce((acc, octet) => acc * 256 + (Number(octet) & 255), 0);
}

/** `version`: the firmware version the device last reported (OTA-003), '' when none. */
export function deviceView(d: Device, sessions: Sessions, version = '') {
  return {
    DeviceName: d.deviceName,
    Online: sessions.isOnline(d.productId, d.deviceName) ? 1 : 0,
    LoginTime: d.loginTime,
    Version: version,
    LastUpdateTime: d.loginTime,
    DeviceCert: '',
    DevicePsk: d.psk ?? '',
    Tags: d.tags,
    DeviceType: 0,
    Imei: '',
    Isp: 0,
    ConnIP: ipv4ToInt(d.clientIp),
    NbiotDeviceID: '',
    LoraDevEui: '',
    LoraMoteType: 0,
    LogLevel: 0,
    FirstOnlineTime: d.firstOnlineTime,
    LastOfflineTime: d.lastOfflineTime,
    CreateTime: d.createdAt,
    CertState: 0,
    EnableState: d.enableState,
    Labels: [],
    ClientIP: d.clientIp,
    FirmwareUpdateTime: 0,
  };
}

export function requireProduct(registry: Registry, productId: string): Product {
  const p = registry.getProduct(productId);
  if (!p) throw productNotExist(productId);
  return p;
}

export function requireDevice(registry: Registry, productId: string, deviceName: string): Device {
  requireProduct(registry, productId);
  const d = registry.getDevice(productId, deviceName);
  if (!d) throw deviceNotExist(productId, deviceName);
  return d;
}

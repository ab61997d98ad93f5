// Result codes of $gateway/operation answers (protocol.md §2.7; the C SDK treats any non-zero as failure).

export const GW_RESULT = {
  ok: 0,
  notBound: -1, // the sub-device is not bound to this gateway
  systemError: -2,
  badRequest: 801, // a device entry without product_id/device_name strings, or bind fields of the wrong type
  noDevice: 802, // unknown product or device
  badSignature: 803,
  badSignMethod: 804,
  expired: 805,
  boundElsewhere: 806, // bound to another gateway
  notOrdinary: 807, // a gateway device cannot be a sub-device
  notAllowed: 808, // the requester is not a gateway, the sub-device is disabled, or the gateway is full
  duplicateBind: 809, // already bound to this gateway
} as const;

/** Types the SDKs send on $gateway/operation as acknowledgements of the hub's own notices: accepted, never answered. */
export const ACK_TYPES: ReadonlySet<string> = new Set(['change', 'search_devices', 'unbind_all']);

// Every numeric limit the reference hub enforces, defined once with the reason beside it.

import type { Faults } from './faults.js';

/** KeepAlive must be 0–900 s (protocol.md §1.7, S-TCP/S-LIMITS "MQTT 保活 900s"). */
export const MAX_KEEPALIVE_SECONDS = 900;
/** Topic names and filters over 64 UTF-8 bytes are refused (access-rules §2, seed §1.1.4). */
export const MAX_TOPIC_BYTES = 64;
/** A topic name's or filter's length as MAX_TOPIC_BYTES measures it: UTF-8 bytes, not characters (LIM-005); the fault `count-topic-chars-not-bytes` counts characters. */
export function topicLength(topic: string, faults: Faults): number {
  return faults.has('count-topic-chars-not-bytes') ? [...topic].length : Buffer.byteLength(topic, 'utf8');
}
/** A PUBLISH packet over 16 KiB, fixed header included, is refused (access-rules §2, seed "16K字节"). */
export const MAX_PUBLISH_PACKET_BYTES = 16384;
/** Granted QoS is min(requested, 1): QoS 2 is not supported (protocol.md §1.1, §2.4). */
export const MAX_GRANTED_QOS = 1;
/** Cloud API signatures older or newer than 5 minutes are refused (protocol.md §9.2, AuthFailure.SignatureExpire). */
export const API_TIMESTAMP_SKEW_SECONDS = 300;
/** Cloud API request bodies over 1 MiB are refused (RequestSizeLimitExceeded) instead of buffered. */
export const API_MAX_BODY_BYTES = 1024 * 1024;
/** Custom topic classes per product (protocol.md §11, S-LIMITS). */
export const MAX_TOPIC_POLICIES_PER_PRODUCT = 100;
/** Default quotas (protocol.md §11): products per account, devices per product. */
export const DEFAULT_PRODUCTS_PER_ACCOUNT = 2000;
export const DEFAULT_DEVICES_PER_PRODUCT = 1_000_000;
/** DescribeProducts / DescribeDevices page size (protocol.md §11 "Limit 10–250"). */
export const PAGE_LIMIT_MIN = 10;
export const PAGE_LIMIT_MAX = 250;
/** A device PSK decodes to at most 48 bytes (C SDK DECODE_PSK_LENGTH, protocol.md §11). */
export const MAX_PSK_BYTES = 48;
/** Product description: 0–500 characters (console rule, protocol.md §11). */
export const MAX_PRODUCT_DESCRIPTION_CHARS = 500;
/** Stored QoS 1 messages per persistent session (seed §1.1.4 "不超过150条", protocol.md §1.8, §11): the first 150 are kept, newer ones refused. */
export const MAX_STORED_MESSAGES = 150;
/** Unacknowledged QoS 1 messages in flight to one connection (seed §1.1.4); further ones wait their turn. */
export const MAX_INFLIGHT_QOS1 = 150;
/** Stored QoS 1 messages live at most 24 h (seed §1.1.4 "24小时", protocol.md §1.8), on the hub clock. */
export const STORED_MESSAGE_TTL_MS = 24 * 3600 * 1000;
/** A persistent session disconnected for more than 24 h is discarded (protocol.md §1.8), on the hub clock. */
export const SESSION_TTL_MS = 24 * 3600 * 1000;
/** Stored messages are resent after a reconnect at this interval (protocol.md §1.8 "500 ms"); HubOptions.offlinePaceMs overrides. */
export const DEFAULT_OFFLINE_PACE_MS = 500;
/** QoS 1 messages waiting behind a full in-flight window per connection, so a device that never acks cannot grow the hub's memory without bound. */
export const MAX_QUEUED_QOS1 = 1000;
/** Sub-devices bound to one gateway (protocol.md §2.7, §11, S-LIMITS "1500"). */
export const MAX_SUBDEVICES_PER_GATEWAY = 1500;
/**
 * A $gateway bind is refused as expired (805) when its timestamp is more than this far in the past. The SDKs send
 * the current time although the doc calls it an expiration time; 10 minutes leaves room for device clock skew.
 */
export const GATEWAY_BIND_MAX_AGE_SECONDS = 600;
/** Device entries one $gateway/operation request may carry; longer lists are not answered (a 16 KiB PUBLISH holds fewer anyway). */
export const MAX_GATEWAY_REQUEST_DEVICES = 1500;

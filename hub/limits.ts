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
/** Bytes a connection may have waiting in its socket buffer before QoS 0 deliveries to it are dropped (at most once), so a device that stops reading cannot grow the hub's memory without bound. */
export const MAX_QOS0_BACKLOG_BYTES = 1024 * 1024;
/** Sub-devices bound to one gateway (protocol.md §2.7, §11, S-LIMITS "1500"). */
export const MAX_SUBDEVICES_PER_GATEWAY = 1500;
/**
 * A $gateway bind is refused as expired (805) when its timestamp is more than this far in the past. The SDKs send
 * the current time although the doc calls it an expiration time; 10 minutes leaves room for device clock skew.
 */
export const GATEWAY_BIND_MAX_AGE_SECONDS = 600;
/** Device entries one $gateway/operation request may carry; longer lists are not answered (a 16 KiB PUBLISH holds fewer anyway). */
export const MAX_GATEWAY_REQUEST_DEVICES = 1500;

// Resource bounds: what one client (or one source address) can make the hub read, hold or spend. The service documents
// none of these numbers (it says "unlimited" subscriptions); each is hubcheck's choice, with the reason beside it.

/**
 * The largest CONNECT the hub reads, fixed header included. A legal login is about 320 bytes: fixed header 5, variable
 * header 12 (MQIsdp), ClientId 2 + 58 (productId 10 + deviceName 48), username 2 + 58 + ";" + sdkappid 16 + ";" + connid 32
 * + ";" + expiry 32, password 2 + 64 hex + ";hmacsha256". Will messages are not supported but tolerated, so the margin
 * leaves room for a will on a 64-byte topic with about 1.6 KB of payload. A CONNECT declaring more is closed unread.
 */
export const MAX_CONNECT_PACKET_BYTES = 2048;
/**
 * Any other packet over 16 KiB ("MQTT 协议包大小 不超过16K字节", seed §1.1.4) is judged from its fixed header alone. A PUBLISH up
 * to this many bytes is skipped unread and the connection kept (LIM-006); a larger one, or any other oversized packet, closes
 * the connection. 256 KB is the packet size the newer S-FUNC page allows (protocol.md §11), so no client of either generation
 * loses its connection for a message it may believe legal.
 */
export const MAX_SKIPPED_PUBLISH_BYTES = 256 * 1024;
/**
 * Subscriptions one device may hold (LIM-013). The service sets no limit (protocol.md §2.3), but each costs the hub about
 * 2 KB that a flood of distinct filters would grow without end. An SDK device holds about 15 (its system topics and a few
 * user topics); 1000 leaves room for gateways subscribing for their sub-devices. HubOptions.maxSubscriptionsPerDevice overrides.
 */
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_DEVICE = 1000;
/**
 * Open MQTT connections from one source address (LIM-014), counted from the moment the socket is accepted. 1000 is far
 * above one host's devices in the field, low enough that one process cannot hold thousands of idle sockets. Load tests from
 * one loopback address raise it (HubOptions.maxConnectionsPerAddress; `hubcheck load` sizes it to the fleet).
 */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000;
/** Open MQTT connections in total (LIM-014): each idle one costs tens of KB of buffers; past this, new sockets are closed at once. */
export const DEFAULT_MAX_CONNECTIONS = 50_000;
/**
 * A socket whose whole CONNECT has not arrived this long after it was accepted is closed (LIM-015). The SDKs send the
 * CONNECT at once; Aedes' own default of 30 s let slow or silent sockets hold a slot for half a minute.
 */
export const DEFAULT_CONNECT_DEADLINE_MS = 5000;
/**
 * A refused MQTT login is answered no sooner than this after its check began (AUTH-029). The checks of an unknown
 * product, an unknown device and a wrong signature already do the same lookups and HMAC; the floor hides what differs
 * (tens of µs) under a timer whose jitter does not depend on the case. Accepted logins are not delayed.
 */
export const LOGIN_REFUSAL_FLOOR_MS = 2;
/**
 * Cloud API requests per second per (SecretId, action) (API-035, protocol.md §9.6): CreateDevice 100/s (the seed's figure,
 * which wins over the 2021 page's 20/s), CreateProduct and PublishRRPCMessage 20/s, PublishMessage 300/s. Other actions
 * document no rate and are not limited. A token bucket holding one second's worth absorbs bursts up to the rate.
 */
export const DEFAULT_API_RATES: Readonly<Record<string, number>> = {
  CreateDevice: 100,
  CreateProduct: 20,
  PublishRRPCMessage: 20,
  PublishMessage: 300,
};

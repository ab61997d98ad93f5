// Every numeric limit the reference hub enforces, defined once with the reason beside it.

/** KeepAlive must be 0–900 s (protocol.md §1.7, S-TCP/S-LIMITS "MQTT 保活 900s"). */
export const MAX_KEEPALIVE_SECONDS = 900;
/** Topic names and filters over 64 UTF-8 bytes are refused (access-rules §2, seed §1.1.4). */
export const MAX_TOPIC_BYTES = 64;
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

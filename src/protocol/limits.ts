/** Protocol limits the harness model holds hubs to, each with the source it comes from. */

/** Topic names and filters: at most 64 bytes of UTF-8 (seed §1.1.4 "topic 名字长度 不超过64字节"). */
export const MAX_TOPIC_BYTES = 64;
/** A whole MQTT packet, fixed header included: at most 16 KB (seed §1.1.4 "MQTT 协议包大小 不超过16K字节"). */
export const MAX_PACKET_BYTES = 16 * 1024;
/** KeepAlive range in seconds (protocol.md §1.3, §1.7). */
export const KEEPALIVE_MAX_S = 900;
/** A silent connection is closed after this many keepalive periods (protocol.md §1.7). */
export const KEEPALIVE_GRACE = 1.5;
/** Highest QoS a hub grants or accepts (protocol.md §1.1: QoS 2 is not supported). */
export const MAX_QOS = 1;
/** Unacknowledged QoS 1 messages per device (seed §1.1.4). */
export const MAX_INFLIGHT_QOS1 = 150;
/** Custom topic classes per product (protocol.md §2.2). */
export const MAX_TOPIC_POLICIES = 100;
/** Products per account and devices per product (protocol.md §11). */
export const MAX_PRODUCTS = 2000;
export const MAX_DEVICES_PER_PRODUCT = 1_000_000;
/** RRPC answer timeout (seed §1.3.2 "RRPC 请求10s超时", limits table; the developer doc's 4 s loses: the seed wins). */
export const RRPC_TIMEOUT_MS = 10_000;
/**
 * Cloud API requests per second per action and account (protocol.md §9.6; CreateDevice's 100/s is the seed's, §1.7.1.1,
 * which wins over the 2021 page's 20/s). Other actions document no rate.
 */
export const API_RATES: Readonly<Record<string, number>> = { CreateDevice: 100, CreateProduct: 20, PublishRRPCMessage: 20, PublishMessage: 300 };

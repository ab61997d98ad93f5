// What the official C SDK's CoAP client sends and expects (tencentcloud-iot-sdk-embedded-c, sdk_src/protocol/coap/ and
// sdk_src/internal_inc/coap_client.h), and the hub's bounds for it.

/** Last Uri-Path level of the auth request `${productId}/${deviceName}/txauth9w0BAQsFA` (coap_client.h COAP_AUTH_URI). */
export const AUTH_URI = 'txauth9w0BAQsFA';
/** Option carrying the auth token on every publish (coap_client.h COAP_MSG_AUTH_TOKEN). */
export const OPTION_AUTH_TOKEN = 61;
/** Option "1" asks for a content response, "0" for none (coap_client.h COAP_MSG_NEED_RESP; coap_client.c IOT_COAP_SendMessage). */
export const OPTION_NEED_RESP = 62;
/** Largest publish payload (protocol.md "CoAP publish message size 1 KB", S-LIMITS). */
export const MAX_COAP_PAYLOAD_BYTES = 1024;
/** Largest datagram read; anything longer cannot be a publish within the limit plus its options (the SDK's buffers are 1 KB too). */
export const MAX_DATAGRAM_BYTES = 2048;
/** How long an auth token is valid, on the hub's retention clock (hub/clock.ts advanced()). */
export const TOKEN_TTL_MS = 24 * 3600 * 1000;
/** Tokens one device may hold at once; the oldest goes first (a device re-authenticates after each reboot). */
export const TOKENS_PER_DEVICE = 8;
/** Tokens in total; past it the oldest token of any device goes. */
export const MAX_TOKENS = 200_000;
/** RFC 7252 §4.8.2 EXCHANGE_LIFETIME: a message id is remembered, with its answer, this long. */
export const EXCHANGE_LIFETIME_MS = 247_000;
/** Message ids remembered per peer; a peer sending faster forgets its oldest (its retransmissions are then served again). */
export const EXCHANGES_PER_PEER = 256;
/** Peers (address:port) with state; past it the least recently heard one is forgotten. */
export const MAX_PEERS = 50_000;
/** How long after a need-resp OTA report the hub still sends the OTA service's answer as the separate response. */
export const SEPARATE_RESPONSE_WINDOW_MS = 10_000;

/** CoAP codes as coap-packet writes them. */
export const CODE = {
  POST: '0.02',
  VALID: '2.03',
  CONTENT: '2.05',
  BAD_REQUEST: '4.00',
  UNAUTHORIZED: '4.01',
  FORBIDDEN: '4.03',
  NOT_FOUND: '4.04',
  METHOD_NOT_ALLOWED: '4.05',
  TOO_LARGE: '4.13',
  INTERNAL: '5.00',
} as const;

/** CoAP device access over UDP as the official C SDK does it (sdk_src/protocol/coap/, sdk_src/services/ota/ota_coap.c; docs/coap.md). */
import type { Requirement } from './types.js';

const SDK = 'C-SDK tencentcloud-iot-sdk-embedded-c';

export const coap = {
  'COAP-001': { level: 'MUST', capability: 'coap', source: `${SDK} coap_client_auth.c coap_client_auth(), coap_client.h COAP_AUTH_URI; seed 000 (CoAP/DTLS access)`, title: 'CoAP auth answers a token',
    statement: 'A confirmable POST to Uri-Path ${productId}/${deviceName}/txauth9w0BAQsFA with payload "appid;connid" (trailing NUL bytes allowed) from an existing, enabled device is answered with a piggybacked ACK 2.05 Content whose payload, the auth token, is not empty.' },
  'COAP-002': { level: 'MUST', capability: 'coap', source: `${SDK} coap_client_auth.c _coap_client_auth_callback (anything but 2.05 fails the auth)`, title: 'CoAP auth of an unknown or disabled device is refused',
    statement: 'An auth request naming a product or device that does not exist, or a disabled device, is answered with a 4.xx code and no token.',
    choice: 'The reference hub answers 4.01 Unauthorized, the code the SDK reads as "auth token expired or invalid" (ota_coap.c); the SDK only requires that it is not 2.05.', tags: ['negative', 'unconfirmed'] },
  'COAP-003': { level: 'MUST', capability: 'coap', source: `${SDK} coap_client.c IOT_COAP_SendMessage (Uri-Path = topic, option 61 = auth token)`, title: 'A CoAP publish is routed like an MQTT PUBLISH',
    statement: 'A confirmable POST whose Uri-Path is one of the device\'s topics and whose option 61 holds its auth token is acknowledged with 2.05, and its payload reaches MQTT subscribers of that topic, the rules engine and the device services as the device\'s own PUBLISH would.' },
  'COAP-004': { level: 'MUST', capability: 'coap', source: `${SDK} coap_client_message.c _event_message_type_set (4.01 = COAP_EVENT_UNAUTHORIZED)`, title: 'A CoAP publish without a valid token is refused',
    statement: 'A publish with no option 61, or with a token the hub never issued (any change to an issued token), is answered 4.01 Unauthorized and routed nowhere.', tags: ['negative'] },
  'COAP-005': { level: 'MUST', capability: 'coap', source: `${SDK} ota_coap.c _otacoap_upgrage_cb ("coap client auth token expired or invalid")`, title: 'CoAP auth tokens expire',
    statement: 'An auth token is refused with 4.01 once its lifetime on the hub\'s clock has passed, and the device gets a new one by authenticating again.',
    choice: 'No lifetime is documented; the reference hub keeps a token 24 h on its retention clock (the test-clock capability advances it), like the 24 h session limits.', tags: ['negative', 'unconfirmed', 'slow'] },
  'COAP-006': { level: 'MUST', capability: 'coap', source: `${SDK} coap_client_message.c _event_message_type_set (4.03 = COAP_EVENT_FORBIDDEN, "coap URI is invalid for this device"); access-rules.md`, title: 'CoAP publishes obey the MQTT topic ACL',
    statement: 'A CoAP publish is allowed exactly when the same device could publish the topic over MQTT; a topic it may not publish (another device\'s, a subscribe-only system topic, an invalid name) is answered 4.03 Forbidden and routed nowhere.', tags: ['negative'] },
  'COAP-007': { level: 'MUST', capability: 'coap', source: 'protocol.md limits table "CoAP publish message size 1 KB" (S-LIMITS)', title: 'CoAP payloads are limited to 1 KB',
    statement: 'A publish payload of up to 1024 bytes is accepted; one of 1025 bytes or more is answered 4.13 Request Entity Too Large and routed nowhere.', tags: ['negative', 'boundary'] },
  'COAP-008': { level: 'MUST', capability: 'coap', source: `RFC 7252 §4.2; ${SDK} coap_client_message.c _coap_message_list_proc (ACKs matched by message id)`, title: 'A confirmable request is acknowledged with its own message id',
    statement: 'Every confirmable request is answered with an ACK that carries the request\'s message id and token.' },
  'COAP-009': { level: 'MUST', capability: 'coap', source: `RFC 7252 §4.5; ${SDK} coap_client_message.c PROCESS_WAIT_CMD (retransmits the same message id until acknowledged)`, title: 'A retransmitted CoAP message is processed once',
    statement: 'A confirmable message repeated with the same message id from the same peer within EXCHANGE_LIFETIME is routed only once, and every copy is answered with the same ACK.' },
  'COAP-010': { level: 'MUST', capability: 'coap', source: 'RFC 7252 §4.3, §5.2.3', title: 'A non-confirmable CoAP publish is routed without an ACK',
    statement: 'A non-confirmable POST with a valid token to a permitted topic is routed like a confirmable one and is not acknowledged; a refused one may be answered with a non-confirmable 4.xx.',
    choice: 'The SDK sends only confirmable requests; the reference hub routes a non-confirmable publish at QoS 0, sends nothing for it on success and a non-confirmable error response on refusal.', tags: ['unconfirmed'] },
  'COAP-011': { level: 'MUST', capability: 'coap', source: `${SDK} ota_coap.c qcloud_osc_report_version (need_resp = true), coap_client_message.c _coap_message_handle`, title: 'OTA version reports over CoAP are answered',
    statement: 'A publish of {"type":"report_version",...} to $ota/report/${productId}/${deviceName} with option 62 = "1" is recorded by the OTA service, and the OTA answer the device would get on $ota/update/${productId}/${deviceName} comes back as a 2.05 response carrying the request\'s token.',
    choice: 'The reference hub acknowledges the report at once with 2.03 (the SDK\'s COAP_MSG_IS_EMPTY_ACK) and sends the OTA answer as a non-confirmable 2.05 with the request\'s token, which the SDK accepts (coap_client_message.c); piggybacking it in the ACK would be read the same.', tags: ['unconfirmed'] },
  'COAP-012': { level: 'MUST', capability: 'coap', source: 'RFC 7252 §3, §4.2; hubcheck bad-input rule', title: 'Malformed CoAP datagrams do not stop the hub',
    statement: 'A datagram that is not a readable CoAP message is dropped, or when its header says confirmable, answered 4.00 with its message id; the hub goes on answering every peer.', tags: ['negative'] },
} as const satisfies Record<string, Requirement>;

/** Broadcast: PublishBroadcastMessage delivered on $broadcast/rxd topics (protocol.md §7.1; seed §1.3.1). */
import type { Requirement } from './types.js';

export const broadcast = {
  'BCAST-001': { level: 'MUST', capability: 'broadcast', source: 'protocol.md §7.1; seed §1.3.1', title: 'A broadcast reaches every subscribed online device of the product',
    statement: 'PublishBroadcastMessage(ProductId, Payload, Qos) delivers the payload to every online device of the product subscribed to its own $broadcast/rxd/${pid}/${dn}, each on its own topic.' },
  'BCAST-002': { level: 'MUST', capability: 'broadcast', source: 'protocol.md §7.1; seed §1.3.1', title: 'Only subscribed devices of that product receive a broadcast',
    statement: 'Devices of other products, and online devices not subscribed to their broadcast topic, receive nothing.', tags: ['negative'] },
  'BCAST-003': { level: 'MUST', capability: 'broadcast', source: 'protocol.md §7.1', title: 'Broadcast payloads are raw or Base64-decoded',
    statement: 'Without PayloadEncoding the Payload text is delivered as is (Payload=closed arrives as the 6 bytes "closed"); with PayloadEncoding "base64" the decoded bytes are delivered.' },
  'BCAST-004': { level: 'MUST', capability: 'broadcast', source: 'protocol.md §7.1, Appendix A', title: 'PublishBroadcastMessage returns a TaskId',
    statement: 'A successful PublishBroadcastMessage answers with an integer TaskId.' },
  'BCAST-005': { level: 'MUST', capability: 'broadcast', source: 'protocol.md §7.1, §11', title: 'Broadcasts are limited to 8 KB',
    statement: 'A broadcast whose Payload is longer than 8 KB fails with InvalidParameterValue.PayloadOverLimit and reaches no device.',
    choice: 'Measured on the Payload parameter as sent (the Base64 text when PayloadEncoding is base64), as "8 KB (base64 of binary)" reads.', tags: ['unconfirmed', 'boundary', 'negative'] },
  'BCAST-006': { level: 'MUST', capability: 'broadcast', source: 'protocol.md §7.1', title: 'Broadcast to an unknown product',
    statement: 'PublishBroadcastMessage for an unknown ProductId fails with ResourceNotFound.ProductNotExist.', tags: ['negative'] },
  'BCAST-007': { level: 'MAY', capability: 'broadcast', source: 'protocol.md §7.1, §11', title: 'One broadcast task per product at a time',
    statement: 'A PublishBroadcastMessage while the product\'s previous broadcast task is still running may fail with FailedOperation.BroadcastTaskIsRunning.',
    choice: 'The reference hub hands a broadcast to every online device before it answers; only a request that arrives while the product\'s previous broadcast is still being handed over gets this code.', tags: ['unconfirmed'] },
  'BCAST-008': { level: 'SHOULD', capability: 'broadcast', source: 'protocol.md §7.1', title: 'Broadcasts are not stored for offline devices',
    statement: 'A device offline during a broadcast does not receive it on reconnecting, even with a persistent session.',
    choice: 'The doc says "online devices"; storage in persistent sessions is UNCONFIRMED, and the reference hub does not store.', tags: ['unconfirmed'] },
  'BCAST-009': { level: 'SHOULD', capability: 'broadcast', source: 'protocol.md §7.1, §2.4', title: 'Broadcast QoS',
    statement: 'A broadcast is delivered at min(Qos parameter, QoS granted to the device\'s broadcast subscription).',
    choice: 'Inferred from MQTT delivery rules (QOS-003); the sources say only that Qos is required.', tags: ['unconfirmed'] },
} as const satisfies Record<string, Requirement>;

/** Size and QoS limits (seed §1.1.4, protocol.md §1.1, §11). */
import type { Requirement } from './types.js';

export const limits = {
  'LIM-001': { level: 'MUST', capability: 'topic-limits', source: 'seed §1.1.4', title: 'Topic names up to 64 bytes',
    statement: 'A PUBLISH to a permitted topic of at most 64 bytes is delivered; one over 64 bytes is refused and reaches no one.' },
  'LIM-002': { level: 'MUST', capability: 'topic-limits', source: 'seed §1.1.4', title: 'Topic filters up to 64 bytes',
    statement: 'A SUBSCRIBE filter over 64 bytes gets SUBACK 0x80.' },
  'LIM-003': { level: 'MUST', capability: 'topic-limits', source: 'seed §1.1.4; protocol.md §2.4', title: 'MQTT packets up to 16 KB',
    statement: 'A PUBLISH packet of at most 16384 bytes is delivered; a larger one is refused and reaches no one.',
    choice: 'Refused by dropping it without PUBACK, connection kept (protocol.md §2.4 RECOMMENDATION).' },
  'LIM-004': { level: 'DEVIATION', capability: 'qos-max-1', source: 'protocol.md §1.1, §2.4', title: 'QoS 2 is never granted',
    statement: 'A SUBSCRIBE requesting QoS 2 is granted at most QoS 1 (MQTT 3.1.1 would grant 2).' },
} as const satisfies Record<string, Requirement>;

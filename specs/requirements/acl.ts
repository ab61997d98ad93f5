/** Per-device topic permissions (protocol.md §2.1–§2.5, seed §1.1.3). */
import type { Requirement } from './types.js';

export const acl = {
  'ACL-001': { level: 'MUST', capability: 'topic-acl', source: 'protocol.md §2.1', title: 'Default topic classes',
    statement: 'Each device may publish ${pid}/${dn}/event and /data and subscribe /control and /data, and nothing else among its default user topics.' },
  'ACL-002': { level: 'MUST', capability: 'topic-acl', source: 'protocol.md §2.3; seed §1.1.3', title: 'Devices are isolated from each other',
    statement: 'A device may neither publish to nor subscribe to another device\'s topics, including devices of its own product.' },
  'ACL-003': { level: 'MUST', capability: 'topic-acl', source: 'protocol.md §2.4', title: 'A forbidden publish is delivered to no one',
    statement: 'A PUBLISH to a topic the device may not publish reaches no subscriber.',
    choice: 'Dropped without PUBACK, connection kept (protocol.md §2.4 RECOMMENDATION); suites assert only non-delivery and that a QoS 1 forbidden publish is not acknowledged.' },
  'ACL-004': { level: 'MUST', capability: 'topic-acl', source: 'protocol.md §2.4', title: 'A forbidden SUBSCRIBE gets SUBACK 0x80',
    statement: 'A SUBSCRIBE to a topic the device may not subscribe gets return code 0x80 and the connection stays open.' },
  'ACL-005': { level: 'MUST', capability: 'topic-acl', source: 'protocol.md §2.5', title: 'System topics are authorized per device',
    statement: 'Each device may publish and subscribe its own $shadow, $ota, $config, $log, $rrpc, $sys topics in the documented directions, and no other device\'s.' },
  'ACL-006': { level: 'MUST', capability: 'custom-topic-policies', source: 'protocol.md §2.2', title: 'Custom topic classes are honoured',
    statement: 'A topic class created with CreateTopicPolicy (privilege 1 publish, 2 subscribe, 3 both; a + level matching one level) is granted exactly as its privilege says.' },
  'ACL-007': { level: 'MUST', capability: 'custom-topic-policies', source: 'protocol.md §2.2', title: 'UpdateTopicPolicy changes permissions',
    statement: 'After UpdateTopicPolicy changes a class\'s privilege, new publishes and subscriptions follow the new privilege.' },
} as const satisfies Record<string, Requirement>;

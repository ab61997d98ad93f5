/** Wildcards in SUBSCRIBE and UNSUBSCRIBE (seed §1.1.3, which wins over protocol.md §2.3). */
import type { Requirement } from './types.js';

export const wildcards = {
  'WILD-001': { level: 'MUST', capability: 'tencent-wildcards', source: 'seed §1.1.3', title: '# only as the whole last level',
    statement: 'A filter with # anywhere but as the whole last level (e.g. ${pid}/${dn}/e#, ${pid}/${dn}/#/x) gets SUBACK 0x80.' },
  'WILD-002': { level: 'MUST', capability: 'tencent-wildcards', source: 'seed §1.1.3', title: '+ only as a whole level after the deviceName',
    statement: 'A + that is not a whole level, or stands in the productId or deviceName level, gets SUBACK 0x80; + after the deviceName level is valid and may appear several times.' },
  'WILD-003': { level: 'MUST', capability: 'tencent-wildcards', source: 'seed §1.1.3; protocol.md §7.2', title: 'No wildcards in system topics except the RRPC request topic',
    statement: 'Wildcard filters on $shadow, $ota and $sys topics get SUBACK 0x80; $rrpc/rxd/${pid}/${dn}/+ is granted.',
    choice: 'Other $ topics also refuse wildcards unless the permission itself has + (access-rules.md §4).' },
  'WILD-004': { level: 'MUST', capability: 'tencent-wildcards', source: 'seed §1.1.3', title: 'A wildcard subscribes to the permitted topics it matches',
    statement: 'A valid wildcard SUBSCRIBE is granted even when it matches no permitted topic, and delivers exactly the messages on topics it matches that the device may subscribe.' },
  'WILD-005': { level: 'MUST', capability: 'tencent-wildcards', source: 'seed §1.1.3', title: 'A wildcard unsubscribes the subscriptions it matches',
    statement: 'A wildcard UNSUBSCRIBE removes the subscriptions it matches (succeeding when none); ${pid}/${dn}/# clears every user-topic subscription.' },
  'WILD-006': { level: 'MUST', capability: 'tencent-wildcards', source: 'seed §1.1.3; access-rules.md §4', title: 'Wildcards stay inside the device\'s namespace',
    statement: 'A wildcard filter outside ${pid}/${dn}/ (another device, the whole product, #) gets SUBACK 0x80.' },
} as const satisfies Record<string, Requirement>;

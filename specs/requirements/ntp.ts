/** Time service over $sys/operation topics (protocol.md §2.6). */
import type { Requirement } from './types.js';

export const ntp = {
  'NTP-001': { level: 'MUST', capability: 'ntp', source: 'protocol.md §2.6', title: 'A time request is answered',
    statement: 'A {"type":"get","resource":["time"]} on $sys/operation/${pid}/${dn} is answered on $sys/operation/result/${pid}/${dn} with {"type":"get","time":s,"ntptime1":ms,"ntptime2":ms}, all three JSON integers.' },
  'NTP-002': { level: 'MUST', capability: 'ntp', source: 'protocol.md §2.6', title: 'NTP times are consistent',
    statement: 'In a time reply ntptime1 ≤ ntptime2, and time equals ntptime2 / 1000 to within 1 s.',
    choice: 'ntptime1/ntptime2 are read as the hub\'s receive and transmit times in milliseconds ("presumably", protocol.md §2.6).', tags: ['unconfirmed'] },
  'NTP-003': { level: 'MUST', capability: 'ntp', source: 'protocol.md §2.6', title: 'NTP time is the hub\'s clock',
    statement: 'When the harness and the hub share a clock, ntptime1 and ntptime2 lie between the device\'s send and receive times (to within 1 s), so (ntptime1 + ntptime2 + recv − send) / 2 is accurate to 1 s.' },
  'NTP-004': { level: 'MAY', capability: 'ntp', source: 'protocol.md §2.6', title: 'Other $sys requests',
    statement: 'A $sys/operation message with another type, or without "time" in resource, may be ignored.',
    choice: 'The reference hub ignores it (no reply); only the time request is documented.', tags: ['unconfirmed'] },
} as const satisfies Record<string, Requirement>;

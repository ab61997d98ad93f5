/** MQTT over WebSocket (protocol.md §1.2). */
import type { Requirement } from './types.js';

export const websocket = {
  'WS-001': { level: 'MUST', capability: 'websocket', source: 'protocol.md §1.2', title: 'MQTT over WebSocket at /mqtt',
    statement: 'A key device logs in over WebSocket on the path /mqtt with subprotocol mqtt, with the same credentials as over TCP, and exchanges messages.' },
  'WS-002': { level: 'MUST', capability: 'websocket', source: 'protocol.md §1.2', title: 'WebSocket logins are checked like TCP logins',
    statement: 'A tampered signature over WebSocket is refused as it is over TCP.' },
} as const satisfies Record<string, Requirement>;

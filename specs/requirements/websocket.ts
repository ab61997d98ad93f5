/** MQTT over WebSocket (protocol.md §1.2, seed §1.2.1.2; MQTT 3.1.1 §6). */
import type { Requirement } from './types.js';

export const websocket = {
  'WS-001': { level: 'MUST', capability: 'websocket', source: 'protocol.md §1.2; seed §1.2.1.2', title: 'MQTT over WebSocket at /mqtt',
    statement: 'A key device logs in over WebSocket on the path /mqtt with subprotocol mqtt, with the same credentials as over TCP, and exchanges messages.', tags: ['compat'] },
  'WS-002': { level: 'MUST', capability: 'websocket', source: 'protocol.md §1.2; seed §1.2.1.2', title: 'WebSocket logins are checked like TCP logins',
    statement: 'A tampered signature over WebSocket is refused as it is over TCP.', tags: ['negative'] },
  'WS-003': { level: 'SHOULD', capability: 'websocket', source: 'protocol.md §1.2', title: 'Subprotocol mqttv3.1 is accepted',
    statement: 'A WebSocket handshake offering subprotocol mqttv3.1 (and an MQIsdp CONNECT) is accepted like one offering mqtt.',
    choice: 'Accept both mqtt and mqttv3.1 (protocol.md §1.2 RECOMMENDATION).', tags: ['unconfirmed', 'compat'] },
  'WS-004': { level: 'MAY', capability: 'websocket', source: 'protocol.md §1.2, §12 item 3', title: 'Paths other than /mqtt',
    statement: 'A WebSocket upgrade on a path other than /mqtt may be refused; a hub that refuses it answers with an HTTP error status (never a 101 upgrade, never a bare close), and a hub that accepts it serves MQTT there as on /mqtt.',
    choice: 'Only /mqtt is attested (the SDKs\' Paho default); the reference hub refuses other paths with HTTP 404.', tags: ['unconfirmed'] },
  'WS-005': { level: 'MUST', capability: 'websocket', source: 'protocol.md §1.1 (MQTT 3.1.1 compatible); MQTT 3.1.1 §6', title: 'MQTT packets travel in binary frames, split freely',
    statement: 'The hub sends MQTT packets in binary WebSocket frames and accepts packets split across several frames or several packets in one frame.' },
  'WS-006': { level: 'MUST', capability: 'websocket', source: 'MQTT 3.1.1 §6 (via protocol.md §1.1)', title: 'A text frame closes the connection',
    statement: 'A WebSocket text frame from the client makes the hub close the connection without reading its bytes as MQTT: a packet it carries (a CONNECT, a QoS 1 PUBLISH) gets no answer.', tags: ['negative'] },
  'WS-007': { level: 'MUST', capability: 'websocket', source: 'protocol.md §1.2; seed §1.2.1.2', title: 'WebSocket sessions follow the same topic rules',
    statement: 'Over WebSocket, topic permissions, wildcard rules, size limits and KeepAlive handling are exactly those of plain TCP.' },
  'WS-008': { level: 'MUST', capability: 'websocket', source: 'protocol.md §1.7, §11', title: 'One connection per device across transports',
    statement: 'A device connected over WebSocket is disconnected when it logs in over TCP, and vice versa.' },
  'WS-009': { level: 'MUST', capability: 'wss', source: 'protocol.md §1.2; seed §1.2.1.2', title: 'Certificate devices over secure WebSocket',
    statement: 'A certificate device logs in over wss:// (WebSocket over mutual TLS, 443 on the real service) on the path /mqtt and exchanges messages.' },
} as const satisfies Record<string, Requirement>;

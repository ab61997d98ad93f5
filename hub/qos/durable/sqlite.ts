// Persistent sessions in the hub's SQLite data file (better-sqlite3: synchronous, so a write has finished when the
// call returns, which is what lets the hub acknowledge a QoS 1 PUBLISH only after the message is on disk).
//
// Durability: the registry opens the file in WAL mode with synchronous = NORMAL. A committed write is in the WAL
// file before the call returns, so it survives kill -9 of the hub (the OS still has it); only a power loss may lose
// the last commits before a checkpoint. FULL would fsync every QoS 1 message and cap throughput at the disk's fsync rate.

import type Database from 'better-sqlite3';
import type { DurableMessage, DurableSession, DurableSubscription, SessionBackend } from './backend.js';
import { SESSION_SCHEMA } from './schema.js';

interface MessageRow { client_id: string; broker_id: string; broker_counter: number; topic: string; payload: Buffer; stored_at: number; message_id: number | null }

export function sqliteBackend(db: Database.Database): SessionBackend {
  db.exec(SESSION_SCHEMA);
  const st = {
    sessions: db.prepare<[], { client_id: string; disconnected_at: number | null }>('SELECT client_id, disconnected_at FROM mqtt_sessions'),
    subscriptions: db.prepare<[], { client_id: string; topic: string; qos: number }>('SELECT client_id, topic, qos FROM mqtt_subscriptions'),
    messages: db.prepare<[], MessageRow>('SELECT client_id, broker_id, broker_counter, topic, payload, stored_at, message_id FROM mqtt_messages ORDER BY seq'),
    // rows of sessions that are no longer recorded (a file edited by hand, or written by an older hub)
    orphanSubs: db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id NOT IN (SELECT client_id FROM mqtt_sessions)'),
    orphanMessages: db.prepare('DELETE FROM mqtt_messages WHERE client_id NOT IN (SELECT client_id FROM mqtt_sessions)'),
    saveSession: db.prepare(
      'INSERT INTO mqtt_sessions (client_id, disconnected_at) VALUES (?, ?) ON CONFLICT(client_id) DO UPDATE SET disconnected_at = excluded.disconnected_at',
    ),
    deleteSession: db.prepare('DELETE FROM mqtt_sessions WHERE client_id = ?'),
    deleteSessionSubs: db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ?'),
    deleteSessionMessages: db.prepare('DELETE FROM mqtt_messages WHERE client_id = ?'),
    putSub: db.prepare(
      'INSERT INTO mqtt_subscriptions (client_id, topic, qos) VALUES (?, ?, ?) ON CONFLICT(client_id, topic) DO UPDATE SET qos = excluded.qos',
    ),
    removeSub: db.prepare('DELETE FROM mqtt_subscriptions WHERE client_id = ? AND topic = ?'),
    addMessage: db.prepare(
      `INSERT INTO mqtt_messages (client_id, broker_id, broker_counter, topic, payload, stored_at, message_id)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(client_id, broker_id, broker_counter) DO NOTHING`,
    ),
    setMessageId: db.prepare('UPDATE mqtt_messages SET message_id = ? WHERE client_id = ? AND broker_id = ? AND broker_counter = ?'),
    deleteMessage: db.prepare('DELETE FROM mqtt_messages WHERE client_id = ? AND broker_id = ? AND broker_counter = ?'),
  };
  const deleteSession = db.transaction((clientId: string) => {
    st.deleteSession.run(clientId);
    st.deleteSessionSubs.run(clientId);
    st.deleteSessionMessages.run(clientId);
  });
  const putSubscriptions = db.transaction((clientId: string, subs: readonly DurableSubscription[]) => {
    for (const s of subs) st.putSub.run(clientId, s.topic, s.qos);
  });
  const removeSubscriptions = db.transaction((clientId: string, topics: readonly string[]) => {
    for (const t of topics) st.removeSub.run(clientId, t);
  });

  return {
    kind: 'sqlite',
    durable: true,
    load() {
      st.orphanSubs.run();
      st.orphanMessages.run();
      const byId = new Map<string, { clientId: string; disconnectedAt: number | null; subscriptions: DurableSubscription[]; messages: DurableMessage[] }>();
      for (const r of st.sessions.all()) byId.set(r.client_id, { clientId: r.client_id, disconnectedAt: r.disconnected_at, subscriptions: [], messages: [] });
      for (const r of st.subscriptions.all()) byId.get(r.client_id)?.subscriptions.push({ topic: r.topic, qos: r.qos });
      for (const r of st.messages.iterate()) {
        byId.get(r.client_id)?.messages.push({
          brokerId: r.broker_id,
          brokerCounter: r.broker_counter,
          topic: r.topic,
          payload: r.payload,
          storedAt: r.stored_at,
          messageId: r.message_id ?? undefined,
        });
      }
      return [...byId.values()] satisfies DurableSession[];
    },
    saveSession: (clientId, disconnectedAt) => void st.saveSession.run(clientId, disconnectedAt),
    deleteSession: (clientId) => deleteSession(clientId),
    putSubscriptions: (clientId, subs) => putSubscriptions(clientId, subs),
    removeSubscriptions: (clientId, topics) => removeSubscriptions(clientId, topics),
    addMessage: (clientId, m) => void st.addMessage.run(clientId, m.brokerId, m.brokerCounter, m.topic, m.payload, m.storedAt, m.messageId ?? null),
    setMessageId: (clientId, brokerId, brokerCounter, messageId) => void st.setMessageId.run(messageId ?? null, clientId, brokerId, brokerCounter),
    deleteMessage: (clientId, brokerId, brokerCounter) => void st.deleteMessage.run(clientId, brokerId, brokerCounter),
    // better-sqlite3 transactions nest as savepoints, so a batch may call the transactional writes above
    batch: (fn) => db.transaction(fn)(),
    flush: () => {}, // every write above has finished when it returns
    close: () => {}, // the registry owns the database connection
  };
}

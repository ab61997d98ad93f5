// Persistent-session tables, kept in the hub's SQLite data file next to the registry (CREATE IF NOT EXISTS, like
// hub/registry/schema.ts: a file written before these tables existed gets them at its next start).

export const SESSION_SCHEMA = `
CREATE TABLE IF NOT EXISTS mqtt_sessions (
  client_id       TEXT PRIMARY KEY,
  disconnected_at INTEGER               -- hub retention clock, ms; NULL while a connection holds the session
);
CREATE TABLE IF NOT EXISTS mqtt_subscriptions (
  client_id  TEXT NOT NULL,
  topic      TEXT NOT NULL,
  qos        INTEGER NOT NULL,
  PRIMARY KEY (client_id, topic)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mqtt_messages (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,  -- storage order: the order of the replay
  client_id      TEXT NOT NULL,
  broker_id      TEXT NOT NULL,
  broker_counter INTEGER NOT NULL,
  topic          TEXT NOT NULL,
  payload        BLOB NOT NULL,
  stored_at      INTEGER NOT NULL,                   -- hub retention clock, ms
  message_id     INTEGER,                            -- packet identifier once sent: a resend keeps it, with DUP = 1
  UNIQUE (client_id, broker_id, broker_counter)
);
`;

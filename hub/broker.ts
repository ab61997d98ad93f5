// The MQTT side of the hub: the Aedes broker with our hooks, its TCP listener, its WebSocket listener (path /mqtt), and the
// TLS and secure-WebSocket listeners when TLS is configured.

import { Aedes, type AedesOptions, type Client } from 'aedes';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { screenProtocolLevel } from './auth/protocol-level.js';
import { createConnectionGuard, type ConnectionBounds } from './bounds/connections.js';
import { attachPacketGate, type PacketCaps } from './bounds/packet-gate.js';
import type { Faults } from './faults.js';
import { MAX_SKIPPED_PUBLISH_BYTES } from './limits.js';
import { batchWrites } from './write-batch.js';

/** Subprotocols Paho and mqtt.js send: `mqtt` (3.1.1) and `mqttv3.1` (protocol.md §1.2). */
const WS_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];
const WS_PATH = '/mqtt';

export interface BrokerOptions {
  host: string;
  mqttPort: number;
  /** One more MQTT-over-TCP port served like mqttPort: a cluster worker's own port, which no other worker shares. */
  directMqttPort?: number;
  wsPort: number;
  hooks: AedesOptions;
  /** Wires a new Aedes client to the packet gate; throws when Aedes internals are not as expected. */
  attach: (client: Client) => void;
  /** Runs before any listener opens (it may restore state, e.g. persistent sessions). */
  install: (broker: Aedes) => void | Promise<void>;
  log: (line: string) => void;
  /** Fault switches of the WebSocket transport (`ws-accept-text-frames`, `ws-frame-per-packet`); none by default. */
  faults?: Faults;
  /** Packet caps judged from the fixed header, and the connection bounds judged when a socket is accepted (hub/bounds/). */
  bounds: { packets: PacketCaps; connections: ConnectionBounds };
  /** MQTT over TLS and over secure WebSocket; `verify` judges each secured socket before any MQTT byte is read. */
  secure?: { tlsPort: number; wssPort: number; tlsOptions: TlsOptions; wssOptions: TlsOptions; verify(socket: TLSSocket): boolean };
}

export interface RunningBroker {
  broker: Aedes;
  /** MQTT sockets open now, as the connection bounds count them. */
  readonly openConnections: number;
  mqttPort: number;
  wsPort: number;
  tlsPort?: number;
  wssPort?: number;
  close(): Promise<void>;
}

export function listen(server: NetServer | HttpServer, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new Error(`cannot listen for ${what} on ${host}:${port}: ${err.code ?? err.message}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/** Bytes of the first MQTT packet at the start of `buf` (fixed header included), or undefined when the header is incomplete. */
function firstPacketLength(buf: Buffer): number | undefined {
  let length = 0;
  for (let i = 1, shift = 0; i <= 4 && i < buf.length; i++, shift += 7) {
    length += (buf[i]! & 0x7f) * 2 ** shift;
    if ((buf[i]! & 0x80) === 0) return 1 + i + length;
  }
  return undefined;
}

/**
 * MQTT over one WebSocket as a byte stream (MQTT 3.1.1 §6): binary frames carry the bytes, split
 * anywhere (WS-005); a text frame closes the connection before its bytes reach the parser (WS-006,
 * [MQTT-6.0.0-1]). ws' own stream forwards every frame, so its one 'message' listener is wrapped.
 */
export function mqttOverWebSocket(ws: WebSocket, faults: Faults, log: (line: string) => void): Duplex {
  const stream = createWebSocketStream(ws);
  const listeners = ws.listeners('message');
  if (listeners.length !== 1) throw new Error(`ws: expected createWebSocketStream to add one 'message' listener, found ${listeners.length}; the ws package changed`);
  const forward = listeners[0] as (data: Buffer, isBinary: boolean) => void;
  ws.off('message', forward);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary && !faults.has('ws-accept-text-frames')) {
      log('ws: closing a connection that sent a text frame (MQTT needs binary frames)');
      ws.close(1003, 'MQTT over WebSocket uses binary frames');
      stream.destroy(); // later frames, and this one, are not pushed to a destroyed stream
      return;
    }
    if (faults.has('ws-frame-per-packet')) {
      // the fault: a frame is taken for one whole packet; a partial packet or a second one in it is lost
      const length = firstPacketLength(data);
      if (length === undefined || length > data.length) return;
      return forward.call(ws, data.subarray(0, length), isBinary);
    }
    forward.call(ws, data, isBinary);
  });
  return stream;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const { log } = opts;
  const faults: Faults = opts.faults ?? new Set();
  const { packets, connections } = opts.bounds;
  const broker = await Aedes.createBroker({
    ...opts.hooks,
    // ClientIds are productId+deviceName (up to 58 chars); Aedes' MQTT 3.1 limit of 23 would refuse the
    // Python SDK (level 3) before our own checks decide the CONNACK code.
    maxClientsIdLength: 65535,
    // a backstop behind the connection guard's deadline, which already runs from the moment the socket was accepted
    ...(faults.has('no-connect-deadline') ? {} : { connectTimeout: connections.connectDeadlineMs }),
  });
  await opts.install(broker);
  broker.on('clientError', (client: Client, err: Error) => log(`mqtt: client ${client.id} error: ${err.message}`));
  broker.on('connectionError', (_client: Client, err: Error) => log(`mqtt: connection error: ${err.message}`));
  (broker as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log(`mqtt: broker error: ${err.message}`));

  // Self-check at start: fail now, not on the first device, if Aedes' internals moved.
  const probe = broker.handle(new PassThrough());
  try {
    attachPacketGate(probe, { caps: packets, faults, log });
    opts.attach(probe);
  } finally {
    probe.close();
  }

  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const guard = createConnectionGuard(connections, faults, log);
  const accept = (conn: Duplex, req?: IncomingMessage) => {
    track(conn);
    // LIM-014, LIM-015: counted (or refused) and timed before a byte is read
    const address = req?.socket.remoteAddress ?? (conn as Socket).remoteAddress ?? '';
    const admitted = guard.admit(conn, address);
    if (admitted instanceof Promise) {
      // a reset while a cluster's counts are asked for closes the socket (and its close is counted); nothing else hears it yet
      const ignore = () => {};
      conn.on('error', ignore);
      void admitted.then((connectRead) => {
        conn.off('error', ignore);
        if (connectRead) serve(conn, connectRead, req);
      });
    }
    else if (admitted) serve(conn, admitted, req);
  };
  const serve = (conn: Duplex, connectRead: () => void, req?: IncomingMessage) => {
    // AUTH-024: an unknown protocol level gets CONNACK 0x01 before Aedes ever parses the CONNECT.
    screenProtocolLevel(conn, (screened) => {
      try {
        const client = broker.handle(screened, req);
        attachPacketGate(client, { caps: packets, faults, log, onConnectRead: connectRead }); // LIM-016
        opts.attach(client);
      } catch (err) {
        log(`mqtt: ${String(err)}`);
        screened.destroy();
      }
    });
  };

  // No Nagle: small QoS 1 packets and their PUBACKs would otherwise wait for delayed ACKs (~40 ms each).
  const onTcp = (socket: Socket) => {
    socket.setNoDelay(true);
    batchWrites(socket);
    accept(socket);
  };
  const tcp = createNetServer(onTcp);
  const direct = opts.directMqttPort !== undefined ? createNetServer(onTcp) : undefined;

  const wss = new WebSocketServer({
    noServer: true,
    // ws buffers a whole frame before the packet gate sees it: no frame needs to be larger than the largest packet read
    maxPayload: faults.has('no-packet-cap') ? 100 * 1024 * 1024 : MAX_SKIPPED_PUBLISH_BYTES + 1024,
    handleProtocols: (protocols) => WS_SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });
  const upgradeRequired = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`MQTT over WebSocket: upgrade at ${WS_PATH} with subprotocol mqtt or mqttv3.1\n`);
  };
  const http = createHttpServer(upgradeRequired);
  http.on('connection', (s: Socket) => track(s));
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== WS_PATH) return refuse('404 Not Found');
    if (offered.length > 0 && !offered.some((p) => WS_SUBPROTOCOLS.includes(p))) return refuse('400 Bad Request');
    wss.handleUpgrade(req, socket, head, (ws) => {
      let stream: Duplex;
      try {
        stream = mqttOverWebSocket(ws, faults, log);
      } catch (err) {
        log(`mqtt: ${String(err)}`);
        return void ws.terminate();
      }
      stream.on('error', () => stream.destroy());
      accept(stream, req);
    });
  };
  http.on('upgrade', upgrade);

  const secure = opts.secure;
  // a handshake that never completes is shed on the CONNECT deadline too, not after Node's default of 120 s
  const handshakeTimeout = faults.has('no-connect-deadline') ? {} : { handshakeTimeout: connections.connectDeadlineMs };
  const tlsServer = secure && createTlsServer({ ...secure.tlsOptions, ...handshakeTimeout }, (socket: TLSSocket) => {
    if (!secure.verify(socket)) return void socket.destroy();
    accept(socket);
  });
  const https = secure && createHttpsServer({ ...secure.wssOptions, ...handshakeTimeout }, upgradeRequired);
  if (tlsServer && https && secure) {
    tlsServer.on('connection', (s: Socket) => track(s));
    tlsServer.on('tlsClientError', (err: Error) => log(`tls: handshake failed: ${err.message}`));
    https.on('connection', (s: Socket) => track(s));
    https.on('tlsClientError', (err: Error) => log(`wss: handshake failed: ${err.message}`));
    https.on('secureConnection', (socket: TLSSocket) => {
      if (!secure.verify(socket)) socket.destroy();
    });
    https.on('upgrade', upgrade);
  }
  const servers = [tcp, http, ...(tlsServer && https ? [tlsServer, https] : []), ...(direct ? [direct] : [])];

  let mqttPort: number;
  let wsPort: number;
  let tlsPort: number | undefined;
  let wssPort: number | undefined;
  try {
    mqttPort = await listen(tcp, opts.mqttPort, opts.host, 'MQTT');
    if (direct) await listen(direct, opts.directMqttPort!, opts.host, "this worker's own MQTT port");
    wsPort = await listen(http, opts.wsPort, opts.host, 'MQTT over WebSocket');
    if (tlsServer && https && secure) {
      tlsPort = await listen(tlsServer, secure.tlsPort, opts.host, 'MQTT over TLS');
      wssPort = await listen(https, secure.wssPort, opts.host, 'MQTT over secure WebSocket');
    }
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  // An accept that fails (EMFILE: the process' 20,000 open files are taken) is logged, and the hub keeps serving the
  // connections it holds; unheard, the listener's 'error' would end the process.
  for (const server of servers) server.on('error', (err: Error) => log(`mqtt: a listener failed to accept a connection: ${err.message}`));

  return {
    broker,
    get openConnections() {
      return guard.open;
    },
    mqttPort,
    wsPort,
    ...(tlsPort !== undefined ? { tlsPort } : {}),
    ...(wssPort !== undefined ? { wssPort } : {}),
    async close() {
      const closing = Promise.all(servers.map(closeServer));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const ws of wss.clients) ws.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await closing;
    },
  };
}

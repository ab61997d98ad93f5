// The MQTT side of the hub: the Aedes broker with our hooks, its TCP listener and its WebSocket listener (path /mqtt).

import { Aedes, type AedesOptions, type Client } from 'aedes';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';

/** Subprotocols Paho and mqtt.js send: `mqtt` (3.1.1) and `mqttv3.1` (protocol.md §1.2). */
const WS_SUBPROTOCOLS = ['mqtt', 'mqttv3.1'];
const WS_PATH = '/mqtt';

export interface BrokerOptions {
  host: string;
  mqttPort: number;
  wsPort: number;
  hooks: AedesOptions;
  /** Wires a new Aedes client to the packet gate; throws when Aedes internals are not as expected. */
  attach: (client: Client) => void;
  install: (broker: Aedes) => void;
  log: (line: string) => void;
}

export interface RunningBroker {
  broker: Aedes;
  mqttPort: number;
  wsPort: number;
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

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const { log } = opts;
  const broker = await Aedes.createBroker({
    ...opts.hooks,
    // ClientIds are productId+deviceName (up to 58 chars); Aedes' MQTT 3.1 limit of 23 would refuse the
    // Python SDK (level 3) before our own checks decide the CONNACK code.
    maxClientsIdLength: 65535,
  });
  opts.install(broker);
  broker.on('clientError', (client: Client, err: Error) => log(`mqtt: client ${client.id} error: ${err.message}`));
  broker.on('connectionError', (_client: Client, err: Error) => log(`mqtt: connection error: ${err.message}`));
  (broker as unknown as NodeJS.EventEmitter).on('error', (err: Error) => log(`mqtt: broker error: ${err.message}`));

  // Self-check at start: fail now, not on the first device, if Aedes' internals moved.
  const probe = broker.handle(new PassThrough());
  try {
    opts.attach(probe);
  } finally {
    probe.close();
  }

  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const accept = (conn: Duplex, req?: IncomingMessage) => {
    track(conn);
    try {
      opts.attach(broker.handle(conn, req));
    } catch (err) {
      log(`mqtt: ${String(err)}`);
      conn.destroy();
    }
  };

  const tcp = createNetServer((socket: Socket) => accept(socket));

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => WS_SUBPROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`MQTT over WebSocket: upgrade at ${WS_PATH} with subprotocol mqtt or mqttv3.1\n`);
  });
  http.on('connection', (s: Socket) => track(s));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
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
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      accept(stream, req);
    });
  });

  let mqttPort: number;
  let wsPort: number;
  try {
    mqttPort = await listen(tcp, opts.mqttPort, opts.host, 'MQTT');
    wsPort = await listen(http, opts.wsPort, opts.host, 'MQTT over WebSocket');
  } catch (err) {
    await Promise.all([closeServer(tcp), closeServer(http)]);
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }

  return {
    broker,
    mqttPort,
    wsPort,
    async close() {
      const closing = Promise.all([closeServer(tcp), closeServer(http)]);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const ws of wss.clients) ws.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await closing;
    },
  };
}

// The device HTTP endpoints over HTTPS (443 on the real service: the Java SDK's and, with tls, the Python SDK's default):
// an HTTPS listener that hands every request to the plain API server's own request handling, so whatever that server
// serves (the gateway, log upload, firmware downloads, registration, routes added later) is served here the same way.

import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';
import type { Faults } from '../faults.js';

export interface HttpsEndpointDeps {
  /** The plain HTTP server of the cloud API and device routes; its 'request' listeners answer HTTPS requests too. */
  plain: HttpServer;
  /** Server certificate and TLS policy (hub/tls/transport.ts serverOptions): versions, suites, the hub CA's certificate. */
  tlsOptions: TlsOptions;
  faults: Faults;
  log: (line: string) => void;
}

/** Paths the broken listener of the fault 'https-endpoint-missing-route' still serves: only the gateway's own. */
const GATEWAY_ONLY = /^\/device\//;

export function createHttpsEndpoint(deps: HttpsEndpointDeps): HttpsServer {
  const { plain, faults, log } = deps;
  // No client certificate is asked for: HTTP devices sign their requests (X-TC-Signature), certificate devices with RSA-SHA256.
  const { requestCert: _requestCert, rejectUnauthorized: _reject, pskCallback: _psk, ...tlsOptions } = deps.tlsOptions;
  const server = createHttpsServer(tlsOptions, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (faults.has('https-endpoint-missing-route') && !GATEWAY_ONLY.test(path)) {
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end(`no route for ${path} over HTTPS\n`);
    }
    // HTTP-030: the same handling as the plain port, looked up per request so listeners added later are used too.
    for (const listener of plain.listeners('request')) (listener as (q: IncomingMessage, s: ServerResponse) => void).call(plain, req, res);
  });
  server.on('tlsClientError', (err: Error) => log(`https: handshake failed: ${err.message}`));
  server.on('clientError', (_err: Error, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('secureConnection', (socket: TLSSocket) => socket.on('error', () => socket.destroy()));
  // The same idle limits as the plain server (hub/api/server.ts): longer than clients keep pooled sockets.
  server.keepAliveTimeout = plain.keepAliveTimeout;
  server.headersTimeout = plain.headersTimeout;
  return server;
}

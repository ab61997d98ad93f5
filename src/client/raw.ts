/** A raw MQTT connection over TCP, TLS (certificates or TLS-PSK), WebSocket or secure WebSocket: exact packets in and out with mqtt-packet. */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';
import WebSocket, { createWebSocketStream } from 'ws';
import type { Trace } from './trace.js';

/** TLS settings for mqtts:// and wss:// URLs. */
export interface ClientTls {
  /** PEM CA certificate(s) to trust for the server certificate. */
  ca?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: string;
  key?: string;
  /** TLS-PSK: identity and raw key bytes; the server is then authenticated by the key, not a certificate. */
  psk?: { identity: string; key: Buffer };
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}

export interface RawOptions { label?: string; trace?: Trace; protocolVersion?: number; connectTimeoutMs?: number; tls?: ClientTls }

/** Node's tls.connect options for a ClientTls (PSK implies TLS ≤ 1.2: Node offers no TLS 1.3 external PSK). */
export function tlsConnectOptions(t: ClientTls = {}): tls.ConnectionOptions {
  const psk = t.psk;
  return {
    ...(t.ca !== undefined ? { ca: t.ca } : {}),
    ...(t.cert !== undefined ? { cert: t.cert } : {}),
    ...(t.key !== undefined ? { key: t.key } : {}),
    ...(t.minVersion ? { minVersion: t.minVersion } : {}),
    ...(t.maxVersion ?? psk ? { maxVersion: t.maxVersion ?? 'TLSv1.2' } : {}),
    ...(t.ciphers ?? psk ? { ciphers: t.ciphers ?? 'PSK-AES128-CBC-SHA:PSK-AES256-CBC-SHA' } : {}),
    ...(psk ? { pskCallback: () => ({ identity: psk.identity, psk: psk.key }), checkServerIdentity: () => undefined } : {}),
  };
}

export class RawConnection {
  private readonly queue: Packet[] = [];
  private waiters: (() => void)[] = [];
  private closedFlag = false;
  private readonly listeners: ((p: Packet) => boolean)[] = [];
  readonly closed: Promise<void>;
  readonly label: string;

  private constructor(private readonly stream: Duplex, o: RawOptions) {
    this.label = o.label ?? 'raw';
    const parser = mqttPacket.parser({ protocolVersion: o.protocolVersion ?? 4 });
    parser.on('packet', (p) => {
      o.trace?.mqtt(this.label, '←', p as unknown as Record<string, unknown>);
      // A listener may consume the packet (acknowledgements a session tracks itself).
      if (this.listeners.some((l) => l(p))) return;
      this.queue.push(p);
      this.wake();
    });
    parser.on('error', (e) => o.trace?.add(this.label, `← unparseable bytes: ${e.message}`));
    stream.on('data', (d: Buffer) => parser.parse(d));
    stream.on('error', () => {});
    this.closed = new Promise((resolve) => stream.once('close', () => {
      this.closedFlag = true;
      o.trace?.add(this.label, '× connection closed');
      resolve();
      this.wake();
    }));
    this.trace = o.trace;
  }

  private readonly trace?: Trace;

  /** Opens mqtt:// (TCP), mqtts:// (TLS), ws:// or wss:// (WebSocket, subprotocol mqtt); o.tls applies to mqtts and wss. */
  static open(url: string, o: RawOptions = {}): Promise<RawConnection> {
    const u = new URL(url);
    const timeoutMs = o.connectTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connection to ${url} within ${timeoutMs} ms`)), timeoutMs);
      if (u.protocol === 'ws:' || u.protocol === 'wss:') {
        const ws = new WebSocket(url, ['mqtt'], u.protocol === 'wss:' ? tlsConnectOptions(o.tls) : {});
        ws.once('error', (e) => { clearTimeout(timer); reject(e); });
        ws.once('open', () => {
          clearTimeout(timer);
          // ws' stream only ends when the hub closes the WebSocket (it emits no 'close' of its own): destroying it then emits 'close'.
          const stream = createWebSocketStream(ws);
          stream.once('end', () => stream.destroy());
          resolve(new RawConnection(stream, o));
        });
        return;
      }
      if (u.protocol === 'mqtts:') {
        const host = u.hostname.replace(/^\[|\]$/g, '');
        const socket = tls.connect({ host, port: Number(u.port), ...(net.isIP(host) ? {} : { servername: host }), ...tlsConnectOptions(o.tls) });
        socket.setNoDelay(true);
        socket.once('error', (e) => { clearTimeout(timer); reject(e); });
        socket.once('secureConnect', () => { clearTimeout(timer); socket.removeAllListeners('error'); resolve(new RawConnection(socket, o)); });
        return;
      }
      const socket = net.connect({ host: u.hostname, port: Number(u.port) });
      socket.setNoDelay(true);
      socket.once('error', (e) => { clearTimeout(timer); reject(e); });
      socket.once('connect', () => { clearTimeout(timer); socket.removeAllListeners('error'); resolve(new RawConnection(socket, o)); });
    });
  }

  /** Registers a listener that sees every packet first and returns true to consume it. */
  intercept(listener: (p: Packet) => boolean): void {
    this.listeners.push(listener);
  }

  send(packet: Record<string, unknown>): void {
    if (this.closedFlag) return;
    this.trace?.mqtt(this.label, '→', packet);
    this.stream.write(mqttPacket.generate(packet as unknown as Packet));
  }

  sendBytes(bytes: Buffer, note: string): void {
    this.trace?.add(this.label, `→ ${bytes.length} raw bytes (${note})`);
    this.stream.write(bytes);
  }

  /** The next packet not consumed by a listener, or undefined when none arrives within timeoutMs or the connection closes. */
  async next(timeoutMs: number): Promise<Packet | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closedFlag) return undefined;
      await this.sleep(left);
    }
    return this.queue.shift();
  }

  /** Packets received and not yet taken with next(). */
  get pending(): readonly Packet[] {
    return this.queue;
  }

  /** Waits until `pred` holds (checked on every packet and at close), or timeoutMs passes. */
  async until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closedFlag) return pred();
      await this.sleep(left);
    }
    return true;
  }

  get isOpen(): boolean {
    return !this.closedFlag;
  }

  async closesWithin(timeoutMs: number): Promise<boolean> {
    await this.until(() => this.closedFlag, timeoutMs);
    return this.closedFlag;
  }

  close(): void {
    this.stream.destroy();
  }

  /** Wakes everything waiting (used by listeners that consumed a packet someone awaits). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }
}

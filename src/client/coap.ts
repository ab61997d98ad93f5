/** A CoAP device as the C SDK behaves on the wire (sdk_src/protocol/coap/): auth for a token, POSTs to topics, raw datagrams. */
import { createSocket } from 'node:dgram';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { dtls } from 'node-dtls-client';
import type { Trace } from './trace.js';

/** The SDK's auth path suffix and option numbers (coap_client.h COAP_AUTH_URI, COAP_MSG_AUTH_TOKEN, COAP_MSG_NEED_RESP). */
export const COAP_AUTH_URI = 'txauth9w0BAQsFA';
export const COAP_OPTION_TOKEN = 61;
export const COAP_OPTION_NEED_RESP = 62;
/** The SDK's app id in the auth payload (qcloud_iot_export.h QCLOUD_IOT_DEVICE_SDK_APPID). */
export const SDK_APPID = '21010406';

export interface CoapReply {
  code: string;
  ack: boolean;
  confirmable: boolean;
  messageId: number;
  token: Buffer;
  payload: Buffer;
}

export interface PostOptions {
  token?: string;
  confirmable?: boolean;
  messageId?: number;
  needResp?: boolean;
  /** CoAP token (request/response matching); default 4 random-ish bytes from the message id. */
  requestToken?: Buffer;
}

let seq = Math.floor(Math.random() * 0xffff);
/** How many hand-made message ids a device remembers (a test sends a few; a bound all the same). */
const HAND_MADE_KEPT = 1024;

/** Where datagrams go: a plain UDP socket or a DTLS session. */
interface Transport {
  send(datagram: Buffer): void;
  onMessage(listener: (datagram: Buffer) => void): void;
  close(): void;
}

export interface DtlsOptions {
  identity: string;
  key: Buffer;
  /** Cipher suites offered (default: the C SDK's two). */
  ciphers?: ('TLS_PSK_WITH_AES_128_CBC_SHA' | 'TLS_PSK_WITH_AES_256_CBC_SHA')[];
  timeoutMs?: number;
}

export class CoapDevice {
  private readonly inbox: CoapReply[] = [];
  private waiters: { pred: (r: CoapReply) => boolean; resolve: (r: CoapReply | undefined) => void; timer: NodeJS.Timeout }[] = [];

  private constructor(private readonly transport: Transport, private readonly label: string, private readonly trace?: Trace) {
    transport.onMessage((msg) => {
      let p: ParsedPacket;
      try {
        p = parse(msg);
      } catch {
        this.trace?.add(this.label, `← unreadable datagram of ${msg.length} bytes`);
        return;
      }
      const r: CoapReply = { code: p.code, ack: p.ack, confirmable: p.confirmable, messageId: p.messageId, token: p.token, payload: p.payload };
      this.trace?.add(this.label, `← ${r.ack ? 'ACK' : r.confirmable ? 'CON' : 'NON'} ${r.code} mid=${r.messageId} token=${r.token.toString('hex')} ${r.payload.toString('utf8').slice(0, 120)}`);
      const w = this.waiters.find((x) => x.pred(r));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        clearTimeout(w.timer);
        w.resolve(r);
      } else this.inbox.push(r);
    });
  }

  /** `endpoint`: coap://host:port. */
  static async open(endpoint: string, label = 'coap', trace?: Trace): Promise<CoapDevice> {
    const url = new URL(endpoint);
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const transport: Transport = {
      send: (d) => socket.send(d, Number(url.port), url.hostname),
      onMessage: (l) => socket.on('message', l),
      close: () => socket.close(),
    };
    return new CoapDevice(transport, label, trace);
  }

  /** `endpoint`: coaps://host:port; resolves once the DTLS-PSK handshake is done, rejects when it fails. */
  static async openDtls(endpoint: string, o: DtlsOptions, label = 'coaps', trace?: Trace): Promise<CoapDevice> {
    const url = new URL(endpoint);
    // node-dtls-client takes the key as a string read with Buffer.from(key, 'ascii'), which Node reads as latin1: one
    // byte per character, so the binary key survives whole.
    const socket = dtls.createSocket({
      type: 'udp4', address: url.hostname, port: Number(url.port), psk: { [o.identity]: o.key.toString('latin1') },
      ciphers: o.ciphers ?? ['TLS_PSK_WITH_AES_128_CBC_SHA', 'TLS_PSK_WITH_AES_256_CBC_SHA'], timeout: o.timeoutMs ?? 3000,
    });
    trace?.add(label, `DTLS handshake as ${o.identity} offering ${(o.ciphers ?? ['TLS_PSK_WITH_AES_128_CBC_SHA', 'TLS_PSK_WITH_AES_256_CBC_SHA']).join(', ')}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('connected', () => resolve());
      socket.once('error', (e: Error) => reject(e));
      socket.once('close', () => reject(new Error('the DTLS session closed during the handshake')));
    });
    socket.on('error', (e: Error) => trace?.add(label, `DTLS error: ${e.message}`));
    const transport: Transport = {
      send: (d) => socket.send(d),
      onMessage: (l) => socket.on('message', l),
      close: () => socket.close(),
    };
    return new CoapDevice(transport, label, trace);
  }

  static nextMessageId(): number {
    seq = (seq + 1) & 0xffff;
    return seq;
  }

  /**
   * A message id for this device's next request, none of those it sent in datagrams of its own making (send()): a hub
   * answers a repeated id as a retransmission (RFC 7252 §4.5), and the answer to a hand-made datagram must never be
   * taken for a request's.
   */
  private freshMessageId(): number {
    let id = CoapDevice.nextMessageId();
    while (this.handMade.has(id)) id = CoapDevice.nextMessageId();
    return id;
  }

  /** Message ids of the datagrams sent with send(), the most recent HAND_MADE_KEPT. */
  private readonly handMade = new Set<number>();

  send(datagram: Buffer, note = ''): void {
    if (datagram.length >= 4) {
      this.handMade.add(datagram.readUInt16BE(2));
      if (this.handMade.size > HAND_MADE_KEPT) this.handMade.delete(this.handMade.values().next().value!);
    }
    this.sendRaw(datagram, note);
  }

  private sendRaw(datagram: Buffer, note: string): void {
    this.trace?.add(this.label, `→ ${note || `${datagram.length} bytes`}`);
    this.transport.send(datagram);
  }

  /** The next reply matching `pred` (already received or arriving within timeoutMs), or undefined. */
  waitFor(pred: (r: CoapReply) => boolean, timeoutMs: number): Promise<CoapReply | undefined> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x.timer !== timer);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push({ pred, resolve, timer });
    });
  }

  /** Replies received and not yet taken by waitFor. */
  get unclaimed(): readonly CoapReply[] {
    return this.inbox;
  }

  /** The datagram of a POST to `path` (one Uri-Path option holding the whole path, as the SDK sends it). */
  static post(path: string, payload: Buffer, o: PostOptions = {}): { datagram: Buffer; messageId: number; requestToken: Buffer } {
    const messageId = o.messageId ?? CoapDevice.nextMessageId();
    const requestToken = o.requestToken ?? Buffer.from([0x01, 0x02, messageId >> 8, messageId & 0xff]);
    const options = [{ name: 'Uri-Path', value: Buffer.from(path) }];
    if (o.token !== undefined) options.push({ name: String(COAP_OPTION_TOKEN), value: Buffer.from(o.token) } as never);
    options.push({ name: String(COAP_OPTION_NEED_RESP), value: Buffer.from(o.needResp ? '1' : '0') } as never);
    const datagram = generate({ confirmable: o.confirmable ?? true, messageId, token: requestToken, code: '0.02', options: options as never, payload }, 4096);
    return { datagram, messageId, requestToken };
  }

  /** Sends a POST and waits for the reply with its message id (confirmable) or its token (non-confirmable). */
  async request(path: string, payload: Buffer | string, o: PostOptions = {}, timeoutMs = 5000): Promise<CoapReply | undefined> {
    const { datagram, messageId, requestToken } = CoapDevice.post(path, Buffer.from(payload), { ...o, messageId: o.messageId ?? this.freshMessageId() });
    this.sendRaw(datagram, `${o.confirmable === false ? 'NON' : 'CON'} POST ${path} mid=${messageId} ${Buffer.from(payload).length} bytes`);
    const confirmable = o.confirmable ?? true;
    return this.waitFor((r) => (confirmable ? r.ack && r.messageId === messageId : r.token.equals(requestToken)), timeoutMs);
  }

  /** The SDK's auth: POST ${pid}/${dn}/txauth9w0BAQsFA with "appid;connid" and its trailing NUL; the reply (2.05: payload = token). */
  auth(productId: string, deviceName: string, connid = 'a1B2c'): Promise<CoapReply | undefined> {
    return this.request(`${productId}/${deviceName}/${COAP_AUTH_URI}`, Buffer.from(`${SDK_APPID};${connid}\0\0`));
  }

  /** Auth that must succeed: the token. */
  async token(productId: string, deviceName: string): Promise<string> {
    const r = await this.auth(productId, deviceName);
    if (!r || r.code !== '2.05' || r.payload.length === 0) throw new Error(`CoAP auth of ${productId}/${deviceName} failed: ${r ? `${r.code} ${r.payload.toString()}` : 'no answer'}`);
    return r.payload.toString('utf8');
  }

  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    this.waiters = [];
    try {
      this.transport.close();
    } catch {
      // already closed
    }
  }
}

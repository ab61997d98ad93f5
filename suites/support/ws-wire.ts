/**
 * MQTT over one WebSocket with the frames in the test's hands: which subprotocols are offered, how the
 * bytes are cut into frames, text or binary; and what came back, frame by frame (MQTT 3.1.1 §6).
 */
import mqttPacket, { type Packet } from 'mqtt-packet';
import WebSocket from 'ws';
import type { Trace } from '../../src/client/trace.js';

export interface WsFrame { binary: boolean; bytes: Buffer }

export class WsWire {
  /** Every frame the hub sent, in order. */
  readonly frames: WsFrame[] = [];
  /** MQTT packets parsed from the binary frames, not yet taken with next(). */
  private readonly queue: Packet[] = [];
  private waiters: (() => void)[] = [];
  private closedFlag = false;
  readonly closed: Promise<void>;

  private constructor(private readonly ws: WebSocket, readonly label: string, private readonly trace?: Trace, protocolVersion = 4) {
    const parser = mqttPacket.parser({ protocolVersion });
    parser.on('packet', (p) => {
      trace?.mqtt(label, '←', p as unknown as Record<string, unknown>);
      this.queue.push(p);
      this.wake();
    });
    parser.on('error', (e) => trace?.add(label, `← unparseable bytes: ${e.message}`));
    ws.on('message', (data: Buffer, binary: boolean) => {
      this.frames.push({ binary, bytes: data });
      if (!binary) trace?.add(label, `← text frame of ${data.length} bytes`);
      parser.parse(data);
    });
    ws.on('error', (e) => trace?.add(label, `× ${e.message}`));
    this.closed = new Promise((resolve) => ws.once('close', (code: number) => {
      this.closedFlag = true;
      trace?.add(label, `× closed (WebSocket code ${code})`);
      resolve();
      this.wake();
    }));
  }

  /** Opens a WebSocket offering `protocols`; resolves once the upgrade is done. */
  static open(url: string, o: { protocols?: string[]; label?: string; trace?: Trace; protocolVersion?: number } = {}): Promise<WsWire> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, o.protocols ?? ['mqtt']);
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`no WebSocket upgrade at ${url} within 5000 ms`)); }, 5000);
      ws.once('error', (e) => { clearTimeout(timer); reject(e); });
      ws.once('open', () => {
        clearTimeout(timer);
        ws.removeAllListeners('error');
        resolve(new WsWire(ws, o.label ?? 'ws', o.trace, o.protocolVersion));
      });
    });
  }

  /** The subprotocol the hub chose in its 101 answer ('' for none). */
  get protocol(): string {
    return this.ws.protocol;
  }

  get isOpen(): boolean {
    return !this.closedFlag;
  }

  /** The bytes of MQTT packets, for the caller to cut into frames. */
  static bytes(...packets: Record<string, unknown>[]): Buffer {
    return Buffer.concat(packets.map((p) => mqttPacket.generate(p as unknown as Packet)));
  }

  /** Sends one frame: binary by default, or text. */
  frame(bytes: Buffer, o: { text?: boolean; note?: string } = {}): void {
    this.trace?.add(this.label, `→ ${o.text ? 'text' : 'binary'} frame of ${bytes.length} bytes${o.note ? ` (${o.note})` : ''}`);
    this.ws.send(bytes, { binary: !o.text });
  }

  /** Sends packets in one binary frame each. */
  send(...packets: Record<string, unknown>[]): void {
    for (const p of packets) {
      this.trace?.mqtt(this.label, '→', p);
      this.ws.send(mqttPacket.generate(p as unknown as Packet), { binary: true });
    }
  }

  /** The next packet, or undefined when none arrives within timeoutMs or the connection closes. */
  async next(timeoutMs: number): Promise<Packet | undefined> {
    await this.until(() => this.queue.length > 0, timeoutMs);
    return this.queue.shift();
  }

  /** Waits until `pred` holds (checked on every packet and at close), or timeoutMs passes. */
  async until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closedFlag) return pred();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return true;
  }

  /** Packets received so far and not taken with next(). */
  get pending(): readonly Packet[] {
    return this.queue;
  }

  async closesWithin(timeoutMs: number): Promise<boolean> {
    await this.until(() => this.closedFlag, timeoutMs);
    return this.closedFlag;
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * The `k6/x/mqtt` module of grafana/xk6-mqtt, JS side: option checks and "not connected" errors happen here, on the VU,
 * as the extension does them on the JS thread; sockets live in the runner (mqtt-host.ts), as the extension's live in Go.
 */
import { MAX_CLIENTS_PER_VU } from '../protocol.js';
import { callAsync, callSync, connFlags, defineMetric, dispatchEvent, emit, onClientEvent, vu } from '../vu/state.js';

// The extension registers these when the module is imported; a script's own metric of the same name is the same series.
for (const name of ['mqtt_messages_sent', 'mqtt_messages_received', 'mqtt_errors', 'mqtt_calls']) defineMetric({ name, type: 'counter', contains: 'default' });

type Tags = Record<string, string>;
interface ClientOptions { client_id?: string; username?: string; password?: string; credentials_provider?: () => { username: string; password: string }; will?: unknown; tags?: Tags }
interface ConnectOptions { keepalive?: number; connect_timeout?: number; clean_session?: boolean; servers?: string[]; tags?: Tags }

let nextClient = 0;

const EVENTS = new Set(['connect', 'reconnect', 'end', 'error', 'message']);

export class Client {
  readonly #idx: number;
  readonly #opts: ClientOptions;
  readonly #handlers = new Map<string, (...a: unknown[]) => unknown>();
  #url = '';
  #connOpts: ConnectOptions = {};

  constructor(options?: ClientOptions) {
    if (nextClient >= MAX_CLIENTS_PER_VU) throw new Error(`k6/x/mqtt: more than ${MAX_CLIENTS_PER_VU} clients in one VU; spread the devices over more VUs`);
    this.#idx = nextClient++;
    this.#opts = options ?? {};
    if ('clientId' in this.#opts) console.warn('k6/x/mqtt: ClientOptions.clientId is ignored by the extension; the option is client_id');
    onClientEvent(this.#idx, (ev, args) => {
      const h = this.#handlers.get(ev);
      if (ev === 'message') args = [args[0], new Uint8Array(args[1] as Uint8Array).buffer];
      if (!h) return;
      try { void h(...args); } catch (e) { console.error(`k6/x/mqtt: ${ev} handler threw: ${(e as Error).message}`); }
    });
  }

  get connected(): boolean { return Atomics.load(connFlags, this.#idx) === 1; }

  /** One handler per event, the last one wins (the extension stores them in a map). */
  on(event: string, handler: (...a: unknown[]) => unknown): void {
    if (!EVENTS.has(event)) { console.warn(`k6/x/mqtt: unknown event type ${event}`); return; }
    this.#handlers.set(event, handler);
  }

  #prepareConnect(url: string | ConnectOptions, options?: ConnectOptions): Record<string, unknown> {
    if (typeof url === 'string') { this.#url = url; this.#connOpts = options ?? {}; }
    else if (url && typeof url === 'object') { this.#url = ''; this.#connOpts = url; }
    else throw new Error('invalid type: expected string or object');
    // credentials_provider runs before each connect, on the JS side, so reconnects sign anew
    const creds = this.#opts.credentials_provider ? this.#opts.credentials_provider() : undefined;
    const { credentials_provider: _cp, ...plain } = this.#opts;
    return { client: this.#idx, url: this.#url, clientOpts: plain, connOpts: this.#connOpts, creds, hasErrorHandler: this.#handlers.has('error'), vuTags: tagsOfVu() };
  }

  connect(url: string | ConnectOptions, options?: ConnectOptions): void { callSync('connect', this.#prepareConnect(url, options)); }
  connectAsync(url: string | ConnectOptions, options?: ConnectOptions): Promise<void> { return callAsync('connect', this.#prepareConnect(url, options)) as Promise<void>; }

  reconnect(): void { callSync('connect', this.#prepareConnect(this.#url || this.#connOpts, this.#url ? this.#connOpts : undefined)); }
  reconnectAsync(): Promise<void> { return callAsync('connect', this.#prepareConnect(this.#url || this.#connOpts, this.#url ? this.#connOpts : undefined)) as Promise<void>; }

  #notConnected(method: string, tags: Tags | undefined, nv: Tags, sync: boolean): boolean {
    if (this.connected) return false;
    if (!sync) throw new Error('not connected');
    // the extension's handleError: count it, hand it to an 'error' handler if there is one, else throw
    emit('mqtt_errors', 1, { proto: 'MQTT/3.1.1', method, ...tags, ...nv });
    const h = this.#handlers.get('error');
    if (!h) throw new Error(`MQTT error during ${method}: not connected`);
    dispatchEvent(this.#idx, 'error', [{ name: 'MQTTError', method, message: 'not connected' }]);
    return true;
  }

  #publishArgs(topic: string, payload: string | ArrayBuffer, options?: { qos?: number; retain?: boolean; tags?: Tags }): Record<string, unknown> {
    let bytes: Uint8Array;
    if (typeof payload === 'string') bytes = new TextEncoder().encode(payload);
    else if (payload instanceof ArrayBuffer) bytes = new Uint8Array(payload);
    else throw new Error('invalid type: String or ArrayBuffer expected');
    return { client: this.#idx, topic, payload: bytes, qos: options?.qos ?? 0, retain: options?.retain ?? false, tags: options?.tags, hasErrorHandler: this.#handlers.has('error'), vuTags: tagsOfVu() };
  }

  publish(topic: string, payload: string | ArrayBuffer, options?: { qos?: number; retain?: boolean; tags?: Tags }): void {
    if (this.#notConnected('publish', options?.tags, { topic }, true)) return;
    callSync('publish', this.#publishArgs(topic, payload, options));
  }
  publishAsync(topic: string, payload: string | ArrayBuffer, options?: { qos?: number; retain?: boolean; tags?: Tags }): Promise<void> {
    this.#notConnected('publish', options?.tags, { topic }, false);
    return callAsync('publish', this.#publishArgs(topic, payload, options)) as Promise<void>;
  }

  #topics(topic: unknown, qos: number): Record<string, number> {
    if (typeof topic === 'string') return { [topic]: qos };
    if (Array.isArray(topic) && topic.every((t) => typeof t === 'string')) return Object.fromEntries(topic.map((t: string) => [t, qos]));
    if (topic && typeof topic === 'object') return Object.fromEntries(Object.entries(topic as Record<string, { qos?: number }>).map(([t, o]) => [t, o?.qos ?? 0]));
    throw new Error('invalid type: String or Array of String or Object expected');
  }

  subscribe(topic: string | string[], options?: { qos?: number; tags?: Tags }): void {
    if (!this.connected) throw new Error('not connected');
    callSync('subscribe', { client: this.#idx, topics: this.#topics(topic, options?.qos ?? 0), tags: options?.tags, vuTags: tagsOfVu() });
  }
  subscribeAsync(topic: string | string[], options?: { qos?: number; tags?: Tags }): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    return callAsync('subscribe', { client: this.#idx, topics: this.#topics(topic, options?.qos ?? 0), tags: options?.tags, vuTags: tagsOfVu() }) as Promise<void>;
  }

  unsubscribe(topics: string | string[], options?: { tags?: Tags }): void {
    if (!this.connected) throw new Error('not connected');
    callSync('unsubscribe', { client: this.#idx, topics: Array.isArray(topics) ? topics : [topics], tags: options?.tags, vuTags: tagsOfVu() });
  }
  unsubscribeAsync(topics: string | string[], options?: { tags?: Tags }): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    return callAsync('unsubscribe', { client: this.#idx, topics: Array.isArray(topics) ? topics : [topics], tags: options?.tags, vuTags: tagsOfVu() }) as Promise<void>;
  }

  /** Throws "not connected" when the client is not connected, as the extension does. */
  end(options?: { tags?: Tags }): void {
    if (!this.connected) throw new Error('not connected');
    callSync('end', { client: this.#idx, tags: options?.tags, vuTags: tagsOfVu() });
  }
  endAsync(options?: { tags?: Tags }): Promise<void> {
    if (!this.connected) throw new Error('not connected');
    return callAsync('end', { client: this.#idx, tags: options?.tags, vuTags: tagsOfVu() }) as Promise<void>;
  }
}

function tagsOfVu(): Tags {
  return { ...vu.scenario.tags, ...(vu.scenario.name ? { scenario: vu.scenario.name } : {}), ...(vu.group ? { group: vu.group } : {}) };
}

export default { Client };

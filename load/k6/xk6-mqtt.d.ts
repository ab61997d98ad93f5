/**
 * Types for the k6/x/mqtt module of grafana/xk6-mqtt, checked member by member against the extension's Go source
 * (mqtt/client_base.go registers the methods; client_connect/publish/subscribe/end/on.go read the options). Names are
 * snake_case because k6 maps Go fields that way (ClientId → client_id); the extension's own index.d.ts once said clientId.
 */
declare module 'k6/x/mqtt' {
  export type QoS = 0 | 1 | 2;
  export interface Credentials { username: string; password: string }
  /** Extra tags on this call's samples; applied after the extension's own tags, so they override them. */
  export interface HasTags { tags?: Record<string, string> }
  export interface Will { topic: string; payload: string; qos?: QoS; retain?: boolean }
  export interface ClientOptions extends HasTags {
    client_id?: string;
    username?: string;
    password?: string;
    /** Called before each connect and reconnect: fresh per-device signed credentials (expiry moves on). */
    credentials_provider?: () => Credentials;
    will?: Will;
    /**
     * Tags on every sample of this client. A tag set to '' replaces the extension's value (client_id: '' makes one
     * series for all clients); the topic tag on messages sent and received is added after these, so it stays per topic.
     */
    tags?: Record<string, string>;
  }
  export interface ConnectOptions extends HasTags {
    /** Seconds (paho's default: 30). */
    keepalive?: number;
    /** Milliseconds (default 30000). */
    connect_timeout?: number;
    /** The extension only ever sets this to true and paho defaults to true: false has no effect. */
    clean_session?: boolean;
    /** More broker URLs, for failover. */
    servers?: string[];
  }
  export interface SubscribeOptions extends HasTags { qos?: QoS }
  export interface PublishOptions extends HasTags { qos?: QoS; retain?: boolean }
  export type EndOptions = HasTags;
  export type UnsubscribeOptions = HasTags;
  /** What an 'error' handler receives; with such a handler, a failed connect or publish resolves instead of throwing. */
  export interface MQTTError { name: 'MQTTError'; message: string; method: string }
  export class Client {
    constructor(options?: ClientOptions);
    connect(url: string | ConnectOptions, options?: ConnectOptions): void;
    connectAsync(url: string | ConnectOptions, options?: ConnectOptions): Promise<void>;
    reconnect(): void;
    reconnectAsync(): Promise<void>;
    subscribe(topic: string | string[], options?: SubscribeOptions): void;
    subscribeAsync(topic: string | string[], options?: SubscribeOptions): Promise<void>;
    unsubscribe(topics: string | string[], options?: UnsubscribeOptions): void;
    unsubscribeAsync(topics: string | string[], options?: UnsubscribeOptions): Promise<void>;
    /** Blocks the VU until the broker acknowledges (QoS 1), so its event loop waits too; prefer publishAsync in loops. */
    publish(topic: string, payload: string | ArrayBuffer, options?: PublishOptions): void;
    publishAsync(topic: string, payload: string | ArrayBuffer, options?: PublishOptions): Promise<void>;
    /** Throws "not connected" when the client is not connected. */
    end(options?: EndOptions): void;
    endAsync(options?: EndOptions): Promise<void>;
    on(event: 'connect' | 'reconnect' | 'end', handler: () => void): void;
    on(event: 'message', handler: (topic: string, payload: ArrayBuffer) => void): void;
    on(event: 'error', handler: (error: MQTTError) => void): void;
    readonly connected: boolean;
  }
}

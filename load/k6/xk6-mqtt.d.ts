/** Types for the k6/x/mqtt module of grafana/xk6-mqtt v0.3.0 (the extension ships none): the subset these scripts use. */
declare module 'k6/x/mqtt' {
  export interface Credentials { username: string; password: string }
  export interface ClientOptions {
    client_id?: string;
    username?: string;
    password?: string;
    /** Called before each (re)connect: fresh per-device signed credentials (expiry moves on). */
    credentials_provider?: () => Credentials;
    /** Tags on every sample of this client; client_id and topic tags are dropped when set to empty (low cardinality). */
    tags?: Record<string, string>;
  }
  export interface ConnectOptions { keepalive?: number; clean_session?: boolean; connect_timeout?: number }
  export class Client {
    constructor(options?: ClientOptions);
    connect(url: string, options?: ConnectOptions): void;
    connectAsync(url: string, options?: ConnectOptions): Promise<void>;
    subscribe(topic: string, options?: { qos?: 0 | 1 }): void;
    subscribeAsync(topic: string, options?: { qos?: 0 | 1 }): Promise<void>;
    publish(topic: string, payload: string | ArrayBuffer, options?: { qos?: 0 | 1; retain?: boolean }): void;
    publishAsync(topic: string, payload: string | ArrayBuffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
    end(): void;
    endAsync(): Promise<void>;
    on(event: 'connect' | 'end', handler: () => void): void;
    on(event: 'message', handler: (topic: string, payload: ArrayBuffer) => void): void;
    on(event: 'error', handler: (error: Error) => void): void;
    readonly connected: boolean;
  }
}

// What a device service (shadow, OTA, config, log, broadcast, RRPC, NTP, HTTP gateway, rules...) plugs into the hub with.

import type { Aedes } from 'aedes';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Action } from '../api/context.js';
import type { Sessions } from '../auth/sessions.js';
import type { ClusterBus } from '../cluster/bus.js';
import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import type { Registry } from '../registry/index.js';

/** A PUBLISH a logged-in device made that passed the ACL. */
export interface DeviceMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  productId: string;
  deviceName: string;
  /** The gateway that published it for this sub-device (GW-012); absent when the device published itself. */
  via?: { productId: string; deviceName: string };
}

/** Per-hub settings from HubOptions that device services read. */
export interface HubSettings {
  /** How long PublishRRPCMessage waits for the device's answer (HubOptions.rrpcTimeoutMs). */
  rrpcTimeoutMs: number;
  /** The product device quota (HubOptions.quotas.devicesPerProduct), for services that create devices (dynamic registration). */
  devicesPerProduct?: number;
  /** The base of firmware download URLs, normalized (HubOptions.firmwareBaseUrl); default: the firmware listener's or the API's URL. */
  firmwareBaseUrl?: string;
  /** An extra HTTP listener serving only firmware downloads (HubOptions.firmwarePort, firmwareHost), e.g. on port 80. */
  firmwareListen?: { host: string; port: number };
}

export interface ServiceContext {
  broker: Aedes;
  settings: HubSettings;
  registry: Registry;
  sessions: Sessions;
  faults: Faults;
  clock: Clock;
  /** Control events to the other workers of a hub cluster (a no-op bus in a single process). */
  bus: ClusterBus;
  /** The cloud API's base URL (e.g. http://127.0.0.1:8081), set once the API port is bound; services build device URLs from it (firmware downloads). */
  apiUrl?: string;
  log(line: string): void;
  /** Publishes from the hub itself (server-originated: deltas, OTA commands, RRPC requests...). */
  publish(topic: string, payload: string | Buffer, qos?: 0 | 1): Promise<void>;
  /**
   * Calls `handler` for every permitted device PUBLISH whose topic matches the MQTT filter. `holdAck`: the message's
   * broker.publish (and so a durable hub's PUBACK, and the publisher's next packet) waits for the promise the handler
   * returns, for outputs that must be routed before anything the publisher does next.
   */
  onDevicePublish(filter: string, handler: (message: DeviceMessage) => void | Promise<unknown>, options?: { holdAck?: boolean }): void;
  /**
   * Publishes on behalf of a device that is not publishing over MQTT (the HTTP gateway): delivered to
   * subscribers like its MQTT PUBLISH would be, and seen by onDevicePublish handlers. The caller has
   * already applied the device's publish ACL.
   */
  publishAsDevice(message: DeviceMessage): Promise<void>;
}

/** An HTTP route on the hub's API port (the cloud API itself is POST /). */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse, ctx: ServiceContext) => void;

export interface HubService {
  name: string;
  /** Cloud API actions this service adds, by X-TC-Action name. */
  actions?: Readonly<Record<string, Action>>;
  /** HTTP routes by exact path, or by prefix when the key ends with '/' (e.g. '/firmware/'). */
  http?: Readonly<Record<string, HttpRoute>>;
  start?(ctx: ServiceContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

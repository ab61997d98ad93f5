// Who is logged in: binds each authenticated Aedes client to its device, tracks online state and disconnects devices on demand.

import type { Client } from 'aedes';
import { deviceClasses, type DeviceClasses } from '../acl/classes.js';
import { soloBus, type ClusterBus } from '../cluster/bus.js';
import type { Presence } from '../cluster/presence.js';
import type { Registry } from '../registry/index.js';
import type { TurnWrites } from '../registry/turn-writes.js';

export interface DeviceSession {
  readonly productId: string;
  readonly deviceName: string;
  readonly clientId: string;
  readonly clientIp: string;
  /** Set when the device was disabled or deleted; authorizeForward stops deliveries at once. */
  revoked: boolean;
  classesVersion: number;
  classes: DeviceClasses | null;
  /** Sub-devices this connection (a gateway) has put online, by `${pid}/${dn}`: it may use their topics (GW-012). */
  readonly proxies: Map<string, DeviceSession>;
}

/** The key of a device in proxy maps: the slash keeps `AB`+`c` and `A`+`Bc` apart. */
export const deviceKey = (productId: string, deviceName: string) => `${productId}/${deviceName}`;

export class Sessions {
  private readonly byClient = new WeakMap<Client, DeviceSession>();
  private readonly byId = new Map<string, Set<Client>>();
  private bus: ClusterBus = soloBus();

  /**
   * `writes`: where the online and offline marks (and presence rows) go, committed once per event-loop turn;
   * `presence`: the cluster's record of devices online on other workers (absent outside a cluster).
   */
  constructor(
    private readonly registry: Registry,
    private readonly nowSeconds: () => number,
    private readonly log: (line: string) => void,
    private readonly writes: TurnWrites,
    private readonly presence?: Presence,
  ) {}

  /** In a cluster: devices disabled, deleted or forbidden through another worker are disconnected here too. */
  joinCluster(bus: ClusterBus): void {
    this.bus = bus;
    bus.on('disconnect', (d) => {
      const { productId, deviceName, why } = d as { productId: string; deviceName: string; why: string };
      this.disconnectHere(productId, deviceName, why);
    });
    bus.on('disconnect-product', (d) => {
      const { productId, why } = d as { productId: string; why: string };
      this.disconnectProductHere(productId, why);
    });
  }

  /**
   * Records a successful login; the binding ends when the connection closes. Resolves once the device's online mark
   * (and in a cluster its presence row) is in the registry, so that a CONNACK sent after it is seen by every worker.
   */
  bind(client: Client, productId: string, deviceName: string, clientIp: string): Promise<void> {
    const session: DeviceSession = {
      productId,
      deviceName,
      clientId: productId + deviceName,
      clientIp,
      revoked: false,
      classesVersion: -1,
      classes: null,
      proxies: new Map(),
    };
    this.byClient.set(client, session);
    let set = this.byId.get(session.clientId);
    if (!set) this.byId.set(session.clientId, (set = new Set()));
    set.add(client);
    const first = set.size === 1;
    const at = this.nowSeconds();
    client.conn.once('close', () => this.unbind(client, session));
    return this.writes.add(() => {
      if (first) this.presence?.online(productId, deviceName);
      this.registry.markOnline(productId, deviceName, at, clientIp);
    });
  }

  private unbind(client: Client, session: DeviceSession): void {
    // GW-015: a gateway's sub-devices go offline with its connection
    for (const sub of [...session.proxies.values()]) this.proxyOffline(sub.productId, sub.deviceName);
    const set = this.byId.get(session.clientId);
    if (!set?.delete(client)) return;
    if (set.size === 0) {
      this.byId.delete(session.clientId);
      this.markOffline(session.productId, session.deviceName);
    }
  }

  /** The device's presence row (in a cluster) goes and its offline time is set, with the turn's other writes. */
  private markOffline(productId: string, deviceName: string): void {
    const at = this.nowSeconds();
    this.writes.fire(`offline time of ${productId}${deviceName}`, () => {
      this.presence?.offline(productId, deviceName);
      this.registry.markOffline(productId, deviceName, at);
    });
  }

  get(client: Client | null): DeviceSession | undefined {
    return client ? this.byClient.get(client) : undefined;
  }

  /** O(1): used by authorizeForward. */
  isRevoked(client: Client): boolean {
    return this.byClient.get(client)?.revoked ?? false;
  }

  /** Logged-in connections of the same device other than `client` (a newer login that is taking over). */
  othersOf(client: Client): number {
    const session = this.byClient.get(client);
    const set = session ? this.byId.get(session.clientId) : undefined;
    return set ? set.size - (set.has(client) ? 1 : 0) : 0;
  }

  isOnline(productId: string, deviceName: string): boolean {
    return (this.byId.get(productId + deviceName)?.size ?? 0) > 0 || this.proxiedBy.has(deviceKey(productId, deviceName)) || (this.presence?.isOnline(productId, deviceName) ?? false);
  }

  /**
   * The workers of a cluster holding a connection of the device (`productId` alone: of any device of the product; none:
   * of any device), to ask about it; empty outside a cluster.
   */
  holders(productId?: string, deviceName?: string): string[] {
    return this.presence?.workers(productId, deviceName) ?? [];
  }

  // ---- sub-devices online through a gateway's connection (hub/services/gateway)

  private readonly proxiedBy = new Map<string, Client>();

  /** The gateway connection a sub-device is online through, if any. */
  /**
   * The device's open connection in this process: the newest one not closed. Aedes answers a login's CONNACK before it
   * has finished closing the device's older connection, and keeps that one in broker.clients until then, so a device
   * may already be subscribed on a connection broker.clients does not name yet.
   */
  connection(productId: string, deviceName: string): Client | undefined {
    let newest: Client | undefined;
    for (const client of this.byId.get(productId + deviceName) ?? []) if (!client.closed) newest = client;
    return newest;
  }

  proxyClient(productId: string, deviceName: string): Client | undefined {
    return this.proxiedBy.get(deviceKey(productId, deviceName));
  }

  /** Puts a sub-device online through `gateway` (its binding was checked by the caller); false when another connection already holds it. */
  proxyOnline(gateway: Client, productId: string, deviceName: string): boolean {
    const owner = this.byClient.get(gateway);
    const key = deviceKey(productId, deviceName);
    const holder = this.proxiedBy.get(key);
    if (!owner || (holder && holder !== gateway)) return false;
    if (holder === gateway) return true;
    const sub: DeviceSession = {
      productId, deviceName, clientId: productId + deviceName, clientIp: owner.clientIp, revoked: false, classesVersion: -1, classes: null, proxies: new Map(),
    };
    owner.proxies.set(key, sub);
    this.proxiedBy.set(key, gateway);
    // committed in this turn's check phase: a cloud API request that reads it, sent once the gateway's answer written
    // now has arrived, is read in a later turn of the event loop
    const at = this.nowSeconds();
    this.writes.fire(`online time of ${key}`, () => {
      this.presence?.online(productId, deviceName);
      this.registry.markOnline(productId, deviceName, at, owner.clientIp);
    });
    return true;
  }

  /** Takes a sub-device offline; returns the gateway connection and the sub-device's session it held, if it was online. */
  proxyOffline(productId: string, deviceName: string): { gateway: Client; sub: DeviceSession } | undefined {
    const key = deviceKey(productId, deviceName);
    const gateway = this.proxiedBy.get(key);
    if (!gateway) return undefined;
    this.proxiedBy.delete(key);
    const sub = this.byClient.get(gateway)?.proxies.get(key);
    this.byClient.get(gateway)?.proxies.delete(key);
    this.markOffline(productId, deviceName);
    return sub ? { gateway, sub } : undefined;
  }

  /** The device's permission patterns, rebuilt only when the product's topic policies changed. */
  classes(session: DeviceSession): DeviceClasses {
    const version = this.registry.policyVersion(session.productId);
    if (!session.classes || session.classesVersion !== version) {
      session.classes = deviceClasses(session.productId, session.deviceName, this.registry.policies(session.productId));
      session.classesVersion = version;
    }
    return session.classes;
  }

  /** Closes the connections of every device of a product (it was forbidden), on every worker of a cluster. */
  disconnectProduct(productId: string, why: string): void {
    this.disconnectProductHere(productId, why);
    this.bus.send('disconnect-product', { productId, why });
  }

  private disconnectProductHere(productId: string, why: string): void {
    const names = new Set<string>();
    for (const set of this.byId.values()) {
      for (const client of set) {
        const session = this.byClient.get(client);
        if (session?.productId === productId) names.add(session.deviceName);
      }
    }
    for (const deviceName of names) this.disconnectHere(productId, deviceName, why);
  }

  /** Closes every connection of a device (it was disabled or deleted), on every worker of a cluster. */
  disconnect(productId: string, deviceName: string, why: string): void {
    this.disconnectHere(productId, deviceName, why);
    this.bus.send('disconnect', { productId, deviceName, why });
  }

  private disconnectHere(productId: string, deviceName: string, why: string): void {
    const set = this.byId.get(productId + deviceName);
    if (!set) return;
    for (const client of [...set]) {
      const session = this.byClient.get(client);
      if (session) session.revoked = true;
      this.log(`mqtt: closing ${productId + deviceName}: ${why}`);
      client.close();
    }
  }
}

/**
 * The commands of the model-based QoS suite as data ({kind, args}) with one registry mapping each kind to its
 * precondition, its protocol-action text and its implementation, so a shrunk failure saved as JSON replays
 * through the very same code (`hubcheck replay`).
 */
import fc from 'fast-check';
import { HOUR_MS, TOPICS, WINDOW, type Model, type Topic } from './model.js';
import type { World } from './world.js';

export type CommandData =
  | { kind: 'connect'; d: number; clean: boolean; autoAck: boolean }
  | { kind: 'disconnect'; d: number }
  | { kind: 'drop'; d: number }
  | { kind: 'subscribe'; d: number; topic: Topic; qos: 0 | 1 | 2 }
  | { kind: 'unsubscribe'; d: number; topic: Topic }
  | { kind: 'publish'; d: number; topic: Topic; qos: 0 | 1 }
  | { kind: 'burst'; d: number; topic: Topic }
  | { kind: 'cloudPublish'; d: number; topic: Topic; qos: 0 | 1 }
  | { kind: 'ack'; d: number }
  | { kind: 'advanceClock'; hours: number };

export type Kind = CommandData['kind'];
type Of<K extends Kind> = Extract<CommandData, { kind: K }>;

interface Impl<K extends Kind> {
  /** Whether the command makes sense in this model state (fast-check skips it otherwise). */
  check(model: Model, c: Of<K>): boolean;
  /** The protocol action, as a transcript line. */
  describe(c: Of<K>): string;
  run(world: World, model: Model, c: Of<K>): Promise<void>;
}

const online = (m: Model, d: number) => m.devices[d]?.online === true;

function expectEqual<T>(what: string, got: T, want: T): void {
  if (got !== want) throw new Error(`${what}: got ${String(got)}, expected ${String(want)}`);
}

export const REGISTRY: { [K in Kind]: Impl<K> } = {
  connect: {
    check: (m, c) => c.d < m.devices.length,
    describe: (c) => `d${c.d}: CONNECT CleanSession=${c.clean ? 1 : 0}${c.autoAck ? '' : ' (withholding PUBACKs)'}`,
    async run(world, model, c) {
      const want = model.sessionPresent(c.d, c.clean);
      model.connect(c.d, c.clean, c.autoAck);
      const present = await world.connect(c.d, model.devices[c.d]!.epoch, c.clean, c.autoAck);
      expectEqual(`d${c.d} CONNACK SessionPresent`, present, want);
      await world.settle(model, c.d);
    },
  },
  disconnect: {
    check: (m, c) => online(m, c.d),
    describe: (c) => `d${c.d}: DISCONNECT`,
    async run(world, model, c) {
      await world.disconnect(c.d, true);
      model.disconnect(c.d);
    },
  },
  drop: {
    check: (m, c) => online(m, c.d),
    describe: (c) => `d${c.d}: connection dropped (no DISCONNECT)`,
    async run(world, model, c) {
      await world.disconnect(c.d, false);
      model.disconnect(c.d);
    },
  },
  subscribe: {
    check: (m, c) => online(m, c.d),
    describe: (c) => `d${c.d}: SUBSCRIBE ${c.topic}@${c.qos}`,
    async run(world, model, c) {
      const granted = await world.subscribe(c.d, c.topic, c.qos);
      expectEqual(`d${c.d} SUBACK for ${c.topic}@${c.qos}`, granted, model.subscribe(c.d, c.topic, c.qos));
      await world.settle(model, c.d);
    },
  },
  unsubscribe: {
    check: (m, c) => online(m, c.d),
    describe: (c) => `d${c.d}: UNSUBSCRIBE ${c.topic}`,
    async run(world, model, c) {
      await world.unsubscribe(c.d, c.topic);
      model.unsubscribe(c.d, c.topic);
      await world.settle(model, c.d);
    },
  },
  publish: {
    check: (m, c) => online(m, c.d),
    describe: (c) => `d${c.d}: PUBLISH ${c.topic} QoS ${c.qos}`,
    async run(world, model, c) {
      const { msg } = model.publish(c.d, c.topic, c.qos, `d${c.d}`);
      await world.publish(c.d, c.topic, c.qos, msg.id);
      await world.settle(model, c.d, c.qos);
    },
  },
  burst: {
    // only while PUBACKs are withheld: with them sent at once the window never fills
    check: (m, c) => online(m, c.d) && !m.devices[c.d]!.autoAck,
    describe: (c) => `d${c.d}: ${WINDOW + 1} × PUBLISH ${c.topic} QoS 1`,
    async run(world, model, c) {
      const ids = Array.from({ length: WINDOW + 1 }, () => model.publish(c.d, c.topic, 1, `d${c.d}`).msg.id);
      await world.burst(c.d, c.topic, ids);
      await world.settle(model, c.d, 1);
    },
  },
  cloudPublish: {
    check: (m, c) => c.d < m.devices.length,
    describe: (c) => `cloud: PublishMessage to d${c.d} ${c.topic} Qos ${c.qos}`,
    async run(world, model, c) {
      const { msg, answer } = model.publish(c.d, c.topic, c.qos, 'cloud');
      const got = await world.cloudPublish(c.d, c.topic, c.qos, msg.id);
      expectEqual(`PublishMessage to d${c.d} (${online(model, c.d) ? 'online' : 'offline'}) answer`, got, answer);
      await world.settle(model, c.d);
    },
  },
  ack: {
    check: (m, c) => online(m, c.d) && !m.devices[c.d]!.autoAck,
    describe: (c) => `d${c.d}: PUBACK every withheld message`,
    async run(world, model, c) {
      model.ack(c.d, world.ackAll(c.d));
      await world.settle(model, c.d);
    },
  },
  advanceClock: {
    check: () => true,
    describe: (c) => `test clock: advance ${c.hours} h`,
    async run(world, model, c) {
      await world.advanceClock(c.hours * 3600);
      model.advance(c.hours * HOUR_MS);
    },
  },
};

export function describeCommand(c: CommandData): string {
  return (REGISTRY[c.kind] as Impl<Kind>).describe(c as never);
}

export function checkCommand(model: Model, c: CommandData): boolean {
  return (REGISTRY[c.kind] as Impl<Kind>).check(model, c as never);
}

export async function runCommand(world: World, model: Model, c: CommandData): Promise<void> {
  await (REGISTRY[c.kind] as Impl<Kind>).run(world, model, c as never);
}

/** Validates replayed data: a clear error naming the bad field, never a crash deep inside a run. */
export function parseCommand(v: unknown, where: string): CommandData {
  const o = v as Record<string, unknown>;
  if (!o || typeof o !== 'object' || typeof o.kind !== 'string' || !(o.kind in REGISTRY)) {
    throw new Error(`${where}.kind: expected one of ${Object.keys(REGISTRY).join(', ')}`);
  }
  const int = (k: string, max: number) => {
    if (!Number.isInteger(o[k]) || (o[k] as number) < 0 || (o[k] as number) > max) throw new Error(`${where}.${k}: expected an integer from 0 to ${max}`);
  };
  const bool = (k: string) => { if (typeof o[k] !== 'boolean') throw new Error(`${where}.${k}: expected true or false`); };
  const topic = () => { if (!TOPICS.includes(o.topic as Topic)) throw new Error(`${where}.topic: expected one of ${TOPICS.join(', ')}`); };
  if (o.kind === 'advanceClock') {
    if (typeof o.hours !== 'number' || !(o.hours >= 0)) throw new Error(`${where}.hours: expected a non-negative number`);
    return o as CommandData;
  }
  int('d', 15);
  if (o.kind === 'connect') { bool('clean'); bool('autoAck'); }
  if (['subscribe', 'unsubscribe', 'publish', 'burst', 'cloudPublish'].includes(o.kind)) topic();
  if (o.kind === 'subscribe') int('qos', 2);
  if (o.kind === 'publish' || o.kind === 'cloudPublish') int('qos', 1);
  return o as CommandData;
}

/** Collects the commands that actually ran in the current model run (the property resets `current` per run). */
export interface Recorder { current: CommandData[] }

/** Device actions that need a connection: generated for an offline device, they log it in first (CleanSession = 0). */
const NEEDS_CONNECTION = new Set<Kind>(['subscribe', 'unsubscribe', 'publish', 'burst']);

/**
 * A fast-check command that delegates to the registry, so a run and its replay execute the same code. A device
 * action drawn while its device is offline first logs the device in with CleanSession = 0 (recorded as its own
 * connect command): random sequences then reach deep session states instead of being skipped.
 */
export class ModelCommand implements fc.AsyncCommand<Model, World> {
  private implicitConnect: CommandData | undefined;
  constructor(readonly data: CommandData, private readonly recorder: Recorder) {}
  check(m: Readonly<Model>): boolean {
    if (NEEDS_CONNECTION.has(this.data.kind) && 'd' in this.data && !m.devices[this.data.d]?.online) return this.data.d < m.devices.length;
    return checkCommand(m as Model, this.data);
  }
  async run(m: Model, w: World): Promise<void> {
    this.implicitConnect = undefined;
    if (NEEDS_CONNECTION.has(this.data.kind) && 'd' in this.data && !m.devices[this.data.d]!.online) {
      this.implicitConnect = { kind: 'connect', d: this.data.d, clean: false, autoAck: this.data.kind !== 'burst' };
      this.recorder.current.push(this.implicitConnect);
      await runCommand(w, m, this.implicitConnect);
    }
    this.recorder.current.push(this.data);
    await runCommand(w, m, this.data);
  }
  toString(): string {
    return (this.implicitConnect ? `${describeCommand(this.implicitConnect)}; ` : '') + describeCommand(this.data);
  }
}

/**
 * The generators: a small pool of devices (biased to d0, so one device sees long histories) and topics so
 * commands collide; weights favour what builds state worth judging (persistent logins, QoS 1 subscriptions and
 * publishes, leaving and coming back). `recorder` collects what actually ran.
 */
export function commandArbitraries(devices: number, o: { testClock: boolean }, recorder: Recorder): fc.Arbitrary<fc.AsyncCommand<Model, World>>[] {
  const d = devices > 1 ? fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, { arbitrary: fc.integer({ min: 1, max: devices - 1 }), weight: 1 }) : fc.constant(0);
  // topic b exists so that subscriptions and messages on different topics meet; a carries most of the traffic
  const topic = fc.oneof({ arbitrary: fc.constant<Topic>('a'), weight: 4 }, { arbitrary: fc.constant<Topic>('b'), weight: 1 });
  const qos01 = fc.constantFrom<0 | 1>(0, 1, 1, 1);
  const wrap = (a: fc.Arbitrary<CommandData>) => a.map((data): fc.AsyncCommand<Model, World> => new ModelCommand(data, recorder));
  const weighted: [number, fc.Arbitrary<CommandData>][] = [
    [5, fc.record({ kind: fc.constant('connect' as const), d, clean: fc.constantFrom(false, false, false, true), autoAck: fc.boolean() })],
    [5, fc.record({ kind: fc.constant('disconnect' as const), d })],
    [1, fc.record({ kind: fc.constant('drop' as const), d })],
    [3, fc.record({ kind: fc.constant('subscribe' as const), d, topic, qos: fc.constantFrom<0 | 1 | 2>(0, 1, 1, 1, 2) })],
    [1, fc.record({ kind: fc.constant('unsubscribe' as const), d, topic })],
    [2, fc.record({ kind: fc.constant('publish' as const), d, topic, qos: qos01 })],
    [8, fc.record({ kind: fc.constant('cloudPublish' as const), d, topic, qos: qos01 })],
    [1, fc.record({ kind: fc.constant('ack' as const), d })],
  ];
  if (o.testClock) weighted.push([1, fc.record({ kind: fc.constant('advanceClock' as const), hours: fc.constantFrom(1, 10, 25) })]);
  // a burst of 151 publishes costs ~0.2 s: offered rarely
  const burst = fc.record({ kind: fc.constant('burst' as const), d, topic });
  return [fc.oneof(...weighted.map(([weight, a]) => ({ arbitrary: wrap(a), weight: weight * 4 })), { arbitrary: wrap(burst), weight: 2 })];
}

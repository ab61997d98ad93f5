// Control events between the workers of a hub cluster, carried by the broker's emitter (Redis with --workers, so
// every worker hears them; in a single process they stay in it). A device cannot reach these topics: they are not
// device topics, and device publishes pass the ACL before they reach the emitter.

import type { Aedes } from 'aedes';

const PREFIX = '$hubcheck/cluster/';

export interface ClusterBus {
  /** This process' worker id ('' outside a cluster). */
  readonly workerId: string;
  /** Whether other workers exist to hear events. */
  readonly clustered: boolean;
  /** Sends an event to every other worker (not to this one). */
  send(event: string, data: unknown): void;
  /** Handles an event sent by another worker. */
  on(event: string, handler: (data: unknown, from: string) => void): void;
  /** Asks one worker and resolves to its answer; rejects when it does not answer within timeoutMs (it may be dead). */
  request(worker: string, event: string, data: unknown, timeoutMs?: number): Promise<unknown>;
  /** Answers the requests of other workers for `event`. */
  answer(event: string, handler: (data: unknown) => unknown): void;
}

/** The bus of a process that is not part of a cluster: nothing to tell, nobody to hear. */
export const soloBus: ClusterBus = {
  workerId: '',
  clustered: false,
  send: () => {},
  on: () => {},
  request: () => Promise.reject(new Error('not in a cluster')),
  answer: () => {},
};

const REQUEST_TIMEOUT_MS = 2000;

export function clusterBus(broker: Aedes, workerId: string, log: (line: string) => void): ClusterBus {
  const mq = (broker as unknown as { mq: import('mqemitter').MQEmitter }).mq;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  const bus: ClusterBus = {
    workerId,
    clustered: true,
    request(worker, event, data, timeoutMs = REQUEST_TIMEOUT_MS) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`worker ${worker} did not answer ${event} within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        bus.send(`ask/${event}`, { to: worker, id, data });
      });
    },
    answer(event, handler) {
      bus.on(`ask/${event}`, (d, from) => {
        const { to, id, data } = d as { to: string; id: number; data: unknown };
        if (to !== workerId) return;
        void Promise.resolve()
          .then(() => handler(data))
          .then((value) => bus.send('reply', { to: from, id, value }), (e: Error) => bus.send('reply', { to: from, id, error: e.message }));
      });
    },
    send(event, data) {
      mq.emit({ topic: PREFIX + event, payload: JSON.stringify({ from: workerId, data }) }, (err) => {
        if (err) log(`cluster: cannot send ${event}: ${err.message}`);
      });
    },
    on(event, handler) {
      mq.on(PREFIX + event, (message, done) => {
        try {
          const { from, data } = JSON.parse(String(message['payload'])) as { from: string; data: unknown };
          if (from !== workerId) handler(data, from);
        } catch (e) {
          log(`cluster: event ${event} not handled: ${(e as Error).message}`);
        }
        done();
      });
    },
  };
  bus.on('reply', (d) => {
    const { to, id, value, error } = d as { to: string; id: number; value?: unknown; error?: string };
    const p = to === workerId ? pending.get(id) : undefined;
    if (!p) return;
    pending.delete(id);
    clearTimeout(p.timer);
    if (error !== undefined) p.reject(new Error(error));
    else p.resolve(value);
  });
  return bus;
}

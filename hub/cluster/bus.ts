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
}

/** The bus of a process that is not part of a cluster: nothing to tell, nobody to hear. */
export const soloBus: ClusterBus = { workerId: '', clustered: false, send: () => {}, on: () => {} };

export function clusterBus(broker: Aedes, workerId: string, log: (line: string) => void): ClusterBus {
  const mq = (broker as unknown as { mq: import('mqemitter').MQEmitter }).mq;
  return {
    workerId,
    clustered: true,
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
}

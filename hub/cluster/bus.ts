// Control events between the workers of a hub cluster, carried by the broker's emitter (Redis with --workers, so
// every worker hears them; in a single process they stay in it). A device cannot reach these topics: they are not
// device topics, and device publishes pass the ACL before they reach the emitter.

import type { Aedes } from 'aedes';
import { randomUUID } from 'node:crypto';

const PREFIX = '$hubcheck/cluster/';
/** How long a question waits for a worker that does not answer (killed, or stuck) before it counts as no answer. */
export const ASK_TIMEOUT_MS = 2000;

export interface ClusterBus {
  /** This process' worker id ('' outside a cluster). */
  readonly workerId: string;
  /** Whether other workers exist to hear events. */
  readonly clustered: boolean;
  /** Sends an event to every other worker (not to this one). */
  send(event: string, data: unknown): void;
  /** Handles an event sent by another worker. */
  on(event: string, handler: (data: unknown, from: string) => void): void;
  /**
   * Asks the named workers (this one included, answered in-process) a question; resolves with the answers by worker
   * once all have answered, leaving out those that did not answer within `timeoutMs` (a worker that died).
   */
  ask(workers: readonly string[], question: string, data: unknown, timeoutMs?: number): Promise<Map<string, unknown>>;
  /** Answers a question from any worker (this one's own too). */
  answer(question: string, handler: (data: unknown) => unknown): void;
}

/** The bus of a process that is not part of a cluster: nothing to tell, nobody to hear, only itself to ask. */
export function soloBus(): ClusterBus {
  const answers = new Map<string, (data: unknown) => unknown>();
  return {
    workerId: '',
    clustered: false,
    send: () => {},
    on: () => {},
    async ask(workers, question, data) {
      const handler = answers.get(question);
      return new Map(workers.includes('') && handler ? [['', await handler(data)]] : []);
    },
    answer: (question, handler) => void answers.set(question, handler),
  };
}

interface Waiting {
  answers: Map<string, unknown>;
  left: Set<string>;
  done(): void;
}

export function clusterBus(broker: Aedes, workerId: string, log: (line: string) => void): ClusterBus {
  const mq = (broker as unknown as { mq: import('mqemitter').MQEmitter }).mq;
  const answers = new Map<string, (data: unknown) => unknown>();
  const waiting = new Map<string, Waiting>();
  const emit = (topic: string, body: unknown) =>
    mq.emit({ topic: PREFIX + topic, payload: JSON.stringify(body) }, (err) => {
      if (err) log(`cluster: cannot send ${topic}: ${err.message}`);
    });
  const listen = (topic: string, handler: (body: Record<string, unknown>) => void | Promise<void>) =>
    mq.on(PREFIX + topic, (message, done) => {
      done();
      (async () => handler(JSON.parse(String(message['payload'])) as Record<string, unknown>))().catch((e: Error) => log(`cluster: ${topic} not handled: ${e.message}`));
    });
  // Answers to this worker's questions come on a topic of its own.
  listen(`reply/${workerId}`, (body) => {
    const w = waiting.get(body['id'] as string);
    const from = body['from'] as string;
    if (!w || !w.left.delete(from)) return;
    w.answers.set(from, body['data']);
    if (w.left.size === 0) w.done();
  });
  const subscribed = new Set<string>();
  return {
    workerId,
    clustered: true,
    send(event, data) {
      emit(event, { from: workerId, data });
    },
    on(event, handler) {
      listen(event, (body) => {
        if (body['from'] !== workerId) handler(body['data'], body['from'] as string);
      });
    },
    answer(question, handler) {
      answers.set(question, handler);
      if (subscribed.has(question)) return;
      subscribed.add(question);
      listen(`ask/${question}`, async (body) => {
        if (!(body['to'] as string[]).includes(workerId) || body['from'] === workerId) return;
        const data = await answers.get(question)!(body['data']);
        emit(`reply/${String(body['from'])}`, { id: body['id'], from: workerId, data });
      });
    },
    ask(workers, question, data, timeoutMs = ASK_TIMEOUT_MS) {
      const handler = answers.get(question);
      if (!handler) return Promise.reject(new Error(`cluster: nobody answers ${question} on this worker (answer() was not called)`));
      const others = new Set(workers.filter((w) => w !== workerId));
      return new Promise((resolve) => {
        const id = randomUUID();
        let timer: NodeJS.Timeout | undefined;
        const w: Waiting = { answers: new Map(), left: others, done: () => { clearTimeout(timer); waiting.delete(id); resolve(w.answers); } };
        (async () => {
          if (workers.includes(workerId)) w.answers.set(workerId, await handler(data));
          if (others.size === 0) return w.done();
          waiting.set(id, w);
          timer = setTimeout(() => {
            log(`cluster: no answer to ${question} from ${[...w.left].join(', ')} within ${timeoutMs} ms`);
            w.done();
          }, timeoutMs);
          emit(`ask/${question}`, { id, from: workerId, to: [...others], data });
        })().catch((e: Error) => {
          log(`cluster: ${question} not answered here: ${e.message}`);
          w.done();
        });
      });
    },
  };
}

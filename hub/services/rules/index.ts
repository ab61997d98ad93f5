// The rules engine service (protocol.md §10): rule management actions, SQL over device messages, republish, HTTP forward, state events.

import type { ActionContext } from '../../api/context.js';
import type { HubService, ServiceContext } from '../types.js';
import { ruleActions } from './actions.js';
import { RulesEngine } from './engine.js';
import { watchDeviceState } from './events.js';

/** One engine per running hub (several hubs may share a process, e.g. in tests). */
const ENGINES = new WeakMap<ServiceContext, RulesEngine>();

function engineOf(ctx: ActionContext): RulesEngine {
  const engine = ENGINES.get(ctx.hub);
  if (!engine) throw new Error('the rules service was not started for this hub');
  return engine;
}

export const rulesService: HubService = {
  name: 'rules',
  actions: ruleActions(engineOf),
  start(ctx) {
    const engine = new RulesEngine(ctx);
    ENGINES.set(ctx, engine);
    // Every permitted device PUBLISH ('#' covers $ topics too; the rule's own filter decides), and the HTTP gateway's.
    // The publish completes after its republishes are routed: in a cluster, a message another device sends after this
    // one's PUBACK (e.g. to a rule republishing to the same topic) then reaches subscribers after them (RULE-023).
    ctx.onDevicePublish('#', (m) => engine.process(m), { holdAck: true });
    watchDeviceState(ctx, (e) => void engine.process({ ...e, qos: 0 }));
    ctx.broker.once('closed', () => engine.close());
  },
};

// Routes a verified request to its action after refusing undeclared parameters.

import type { Action, ActionContext } from './context.js';
import { ApiError } from './errors.js';
import { checkKnown, type Params } from './params.js';

export async function dispatch(actions: Readonly<Record<string, Action>>, ctx: ActionContext, actionName: string, params: Params): Promise<Record<string, unknown>> {
  const action = Object.prototype.hasOwnProperty.call(actions, actionName) ? actions[actionName] : undefined;
  if (!action) {
    // API-028 (fault api-unimplemented-action-succeeds answers an empty success instead)
    if (ctx.hub.faults.has('api-unimplemented-action-succeeds')) return {};
    throw new ApiError(
      'InvalidAction',
      `the action ${actionName} does not exist or is not served by this hub (served: ${Object.keys(actions).join(', ')})`,
    );
  }
  // API-016: names are spelled exactly (fault api-param-names-any-case takes ProductId for ProductID and the like)
  const spelled = ctx.hub.faults.has('api-param-names-any-case') ? respell(params, action.params) : params;
  checkKnown(actionName, spelled, action.params);
  return action.run(ctx, spelled);
}

function respell(params: Params, known: readonly string[]): Params {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [known.find((n) => n.toLowerCase() === k.toLowerCase()) ?? k, v]));
}

// Routes a verified request to its action after refusing undeclared parameters.

import type { Action, ActionContext } from './context.js';
import { ApiError } from './errors.js';
import { checkKnown, type Params } from './params.js';

export async function dispatch(actions: Readonly<Record<string, Action>>, ctx: ActionContext, actionName: string, params: Params): Promise<Record<string, unknown>> {
  const action = Object.prototype.hasOwnProperty.call(actions, actionName) ? actions[actionName] : undefined;
  if (!action) {
    throw new ApiError(
      'InvalidAction',
      `the action ${actionName} does not exist or is not served by this hub (served: ${Object.keys(actions).join(', ')})`,
    );
  }
  checkKnown(actionName, params, action.params);
  return action.run(ctx, params);
}

// Routes a verified request to its action after refusing undeclared parameters.

import { ACTIONS } from './actions/index.js';
import type { ActionContext } from './context.js';
import { ApiError } from './errors.js';
import { checkKnown, type Params } from './params.js';

export function dispatch(ctx: ActionContext, actionName: string, params: Params): Record<string, unknown> {
  const action = Object.prototype.hasOwnProperty.call(ACTIONS, actionName) ? ACTIONS[actionName] : undefined;
  if (!action) {
    throw new ApiError(
      'InvalidAction',
      `the action ${actionName} does not exist or is not served by this hub (served: ${Object.keys(ACTIONS).join(', ')})`,
    );
  }
  checkKnown(actionName, params, action.params);
  return action.run(ctx, params);
}

// What every cloud API action gets: the registry, live sessions, quotas and the clock; and the Action shape.

import type { Sessions } from '../auth/sessions.js';
import type { ServiceContext } from '../services/types.js';
import type { Registry } from '../registry/index.js';
import type { Params } from './params.js';

export interface Quotas {
  productsPerAccount: number;
  devicesPerProduct: number;
}

export interface ActionContext {
  registry: Registry;
  sessions: Sessions;
  quotas: Quotas;
  nowSeconds(): number;
  log(line: string): void;
  /** The broker-side facilities device services share (publish to devices, the clock...). */
  hub: ServiceContext;
}

export interface Action {
  /** Every request parameter the action declares (2018-06-14, protocol.md Appendix A); others are UnknownParameter. */
  readonly params: readonly string[];
  run(ctx: ActionContext, params: Params): Record<string, unknown> | Promise<Record<string, unknown>>;
}

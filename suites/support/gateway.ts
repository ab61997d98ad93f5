/** The HTTP device gateway as the suites reach it: endpoints.http, or the API endpoint when the target declares none. */
import { HttpDevice } from '../../src/client/http-device.js';
import type { Harness } from './harness.js';

export function gatewayUrl(h: Harness): string {
  const url = h.target.endpoints.http || h.target.endpoints.api;
  if (!url) throw new Error('the target declares neither endpoints.http nor endpoints.api: add endpoints.http (the HTTP device gateway) to the descriptor');
  return url;
}

export function gateway(h: Harness): HttpDevice {
  return new HttpDevice(gatewayUrl(h), h.trace);
}

/** Every gateway error must have the shape the SDKs parse (protocol.md §8.4). */
export const GATEWAY_ERROR = 'http-gateway.schema.json#/$defs/errorResponse';

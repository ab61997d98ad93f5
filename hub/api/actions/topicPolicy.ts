// Shared rules of CreateTopicPolicy and UpdateTopicPolicy: TopicName syntax, Privilege and BrokerSubscribe.

import { DEFAULT_CLASS_NAMES, isValidCustomTopicName } from '../../acl/classes.js';
import { invalid } from '../errors.js';
import { checkKnown, optObject, reqInt, reqString, type Params } from '../params.js';

export const TOPIC_NAME = {
  expected: 'levels of [A-Za-z0-9_] separated by "/", a level may be exactly "+", 1–64 characters',
};

export function topicName(p: Params, field: string): string {
  const name = reqString(p, field, TOPIC_NAME);
  if (!isValidCustomTopicName(name)) throw invalid(field, TOPIC_NAME.expected, name);
  return name;
}

export function privilege(p: Params): number {
  return reqInt(p, 'Privilege', { oneOf: [1, 2, 3], expected: '1 (publish), 2 (subscribe) or 3 (both)' });
}

/** BrokerSubscribe is for gateway products; accepted when well-formed, otherwise unused by this hub. */
export function brokerSubscribe(p: Params): void {
  const b = optObject(p, 'BrokerSubscribe');
  if (b) checkKnown('BrokerSubscribe', b, ['ProductId', 'DeviceName']);
}

export function isDefaultClass(name: string): boolean {
  return (DEFAULT_CLASS_NAMES as readonly string[]).includes(name);
}

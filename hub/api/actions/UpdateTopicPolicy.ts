// UpdateTopicPolicy: renames a custom topic class and/or changes its privilege.

import type { Action } from '../context.js';
import { ApiError } from '../errors.js';
import { PRODUCT_ID, reqString } from '../params.js';
import { requireProduct } from '../views.js';
import { brokerSubscribe, isDefaultClass, privilege, topicName } from './topicPolicy.js';

export const UpdateTopicPolicy: Action = {
  params: ['ProductID', 'TopicName', 'NewTopicName', 'Privilege', 'BrokerSubscribe'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const name = topicName(p, 'TopicName');
    const newName = topicName(p, 'NewTopicName');
    const priv = privilege(p);
    brokerSubscribe(p);
    requireProduct(ctx.registry, productId);
    const existing = ctx.registry.policies(productId);
    if (!existing.some((c) => c.topicName === name)) {
      throw new ApiError('ResourceNotFound.TopicPolicyNotExist', `product ${productId} has no custom topic ${name}`);
    }
    if (newName !== name && (isDefaultClass(newName) || existing.some((c) => c.topicName === newName))) {
      throw new ApiError('InvalidParameterValue.TopicPolicyAlreadyExist', `topic ${newName} already exists in product ${productId}`);
    }
    ctx.registry.updatePolicy(productId, name, newName, priv);
    return {};
  },
};

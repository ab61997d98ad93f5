// CreateTopicPolicy: adds a custom topic class `${pid}/${dn}/${TopicName}` to every device of a product.

import { MAX_TOPIC_POLICIES_PER_PRODUCT } from '../../limits.js';
import type { Action } from '../context.js';
import { ApiError } from '../errors.js';
import { PRODUCT_ID, reqString } from '../params.js';
import { requireProduct } from '../views.js';
import { brokerSubscribe, isDefaultClass, privilege, topicName } from './topicPolicy.js';

export const CreateTopicPolicy: Action = {
  params: ['ProductID', 'TopicName', 'Privilege', 'BrokerSubscribe'],
  run(ctx, p) {
    const productId = reqString(p, 'ProductID', PRODUCT_ID);
    const name = topicName(p, 'TopicName');
    const priv = privilege(p);
    brokerSubscribe(p);
    requireProduct(ctx.registry, productId);
    const existing = ctx.registry.policies(productId);
    if (isDefaultClass(name) || existing.some((c) => c.topicName === name)) {
      throw new ApiError('InvalidParameterValue.TopicPolicyAlreadyExist', `topic ${name} already exists in product ${productId}`);
    }
    // API-026 (fault api-topic-policy-limit-off-by-one lets a 101st class in)
    if (existing.length >= MAX_TOPIC_POLICIES_PER_PRODUCT + (ctx.hub.faults.has('api-topic-policy-limit-off-by-one') ? 1 : 0)) {
      throw new ApiError('LimitExceeded.TopicPolicyExceedLimit', `product ${productId} already has ${MAX_TOPIC_POLICIES_PER_PRODUCT} custom topics, the limit`);
    }
    ctx.registry.createPolicy(productId, name, priv, ctx.nowSeconds());
    return {};
  },
};

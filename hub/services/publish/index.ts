// PublishMessage: the cloud publishes to one device's topic through the broker (same delivery path as device
// publishes), with the offline-session answers of protocol.md §9.5 (API-029..API-033).

import { ApiError, invalid } from '../../api/errors.js';
import type { Action } from '../../api/context.js';
import { DEVICE_NAME, PRODUCT_ID, optInt, optString, reqString } from '../../api/params.js';
import { encodedPacketSize } from '../../acl/publish.js';
import { MAX_PUBLISH_PACKET_BYTES, MAX_STORED_MESSAGES, MAX_TOPIC_BYTES } from '../../limits.js';
import { qosOf } from '../../qos/index.js';
import { answerSubscribed, coversTopic, localClient, subscribedElsewhere } from '../reach.js';
import type { HubService } from '../types.js';

/** The bus question a worker asks the one holding the device (hub/services/reach.ts). */
const SUBSCRIBED = 'publish-subscribed';

/** Topic naming rule of the action (protocol.md Appendix A PublishMessage). */
const TOPIC_SUFFIX = /^[a-zA-Z0-9:_-]{1,128}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fail(code: string, message: string): ApiError {
  return new ApiError(code, message);
}

export const PublishMessage: Action = {
  params: ['Topic', 'Payload', 'ProductId', 'DeviceName', 'Qos', 'PayloadEncoding'],
  async run(ctx, p) {
    const productId = reqString(p, 'ProductId', PRODUCT_ID);
    const deviceName = reqString(p, 'DeviceName', DEVICE_NAME);
    const topic = reqString(p, 'Topic', { expected: 'a topic ${ProductId}/${DeviceName}/[a-zA-Z0-9:_-]{1,128}' });
    const payloadText = reqString(p, 'Payload', { expected: 'a string (Base64 when PayloadEncoding is "base64")' });
    const qos = (optInt(p, 'Qos', { oneOf: [0, 1] }) ?? 0) as 0 | 1;
    const encoding = optString(p, 'PayloadEncoding', { pattern: /^(base64)?$/, expected: '"base64" or empty' });

    const device = ctx.registry.getDevice(productId, deviceName);
    if (!device) throw fail('ResourceNotFound.DeviceNotExist', `device ${deviceName} does not exist in product ${productId}`);

    const prefix = `${productId}/${deviceName}/`;
    if (!topic.startsWith(prefix) || !TOPIC_SUFFIX.test(topic.slice(prefix.length)) || Buffer.byteLength(topic) > MAX_TOPIC_BYTES) {
      throw fail('FailedOperation.InvalidTopicName', `Topic must be ${prefix}[a-zA-Z0-9:_-]{1,128} (at most ${MAX_TOPIC_BYTES} bytes) for device ${deviceName} (got ${JSON.stringify(topic)})`);
    }
    let payload: Buffer;
    if (encoding === 'base64') {
      if (!BASE64.test(payloadText)) throw invalid('Payload', 'Base64 text when PayloadEncoding is "base64"', payloadText.slice(0, 40));
      payload = Buffer.from(payloadText, 'base64');
    } else {
      payload = Buffer.from(payloadText, 'utf8');
    }
    const size = encodedPacketSize(2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payload.length);
    if (size > MAX_PUBLISH_PACKET_BYTES) {
      throw fail('InvalidParameterValue.PayloadOverLimit', `the PUBLISH packet would be ${size} bytes; at most ${MAX_PUBLISH_PACKET_BYTES} are allowed (API-032)`);
    }
    if (device.enableState === 0) throw fail('FailedOperation.DeviceAlreadyDisabled', `device ${deviceName} is disabled`);

    const broker = ctx.hub.broker;
    const clientId = productId + deviceName;
    // a sub-device online through its gateway is reached on the gateway's connection (GW-012)
    const client = localClient(ctx.hub, productId, deviceName, true);
    if (!client && ctx.hub.bus.clustered && ctx.sessions.isOnline(productId, deviceName)) {
      // online on another worker of the cluster: that worker knows the connection's subscriptions
      const subscribed = await subscribedElsewhere(ctx.hub, SUBSCRIBED, productId, deviceName, topic);
      if (subscribed === false) throw noSubscription(deviceName, topic);
      if (subscribed) {
        await ctx.hub.publish(topic, payload, qos);
        return {};
      }
      // no worker holds a connection after all: the device is offline, as below
    }
    // Online from the CONNACK on: Aedes sets client.connected only after replaying the stored queue, so registration decides.
    if (!ctx.sessions.isOnline(productId, deviceName) || !client) {
      const q = qosOf(broker);
      const session = q ? await q.store.session(clientId) : undefined;
      if (qos === 1 && q && session && (await q.store.storesFor(clientId, topic))) {
        if ((await q.store.storedCount(clientId)) >= MAX_STORED_MESSAGES) {
          throw fail('LimitExceeded.OfflineMessageExceedLimit', `device ${deviceName} is offline and already has ${MAX_STORED_MESSAGES} stored QoS 1 messages; this one is not stored`);
        }
        await ctx.hub.publish(topic, payload, 1);
        // An error although the message is kept (protocol.md §9.5 inferred semantics, API-030)
        throw fail('LimitExceeded.MessageSaved', `device ${deviceName} is offline; the message was stored and will be sent when it reconnects (within 24 h)`);
      }
      if (qos === 0 && ctx.hub.faults.has('store-qos0-offline')) await ctx.hub.publish(topic, payload, 0);
      throw fail('FailedOperation.DeviceOffline', `device ${deviceName} is offline${qos === 1 ? ' and has no persistent session subscribed to this topic' : ' (QoS 0 messages are not stored)'}`);
    }
    if (!coversTopic(client, topic)) throw noSubscription(deviceName, topic);
    await ctx.hub.publish(topic, payload, qos);
    return {};
  },
};

const noSubscription = (deviceName: string, topic: string) => fail('FailedOperation.DeviceNoSubscription', `device ${deviceName} is online but not subscribed to ${topic}`);

export const publishService: HubService = {
  name: 'publish',
  actions: { PublishMessage },
  start(ctx) {
    if (ctx.bus.clustered) answerSubscribed(ctx, SUBSCRIBED, true);
  },
};

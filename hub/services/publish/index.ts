// PublishMessage: the cloud publishes to one device's topic through the broker (same delivery path as device
// publishes), with the offline-session answers of protocol.md §9.5 (API-029..API-033).

import { ApiError, invalid } from '../../api/errors.js';
import type { Action } from '../../api/context.js';
import { DEVICE_NAME, PRODUCT_ID, optInt, optString, reqString } from '../../api/params.js';
import { encodedPacketSize } from '../../acl/publish.js';
import { covers, levels } from '../../acl/topics.js';
import { MAX_PUBLISH_PACKET_BYTES, MAX_STORED_MESSAGES, MAX_TOPIC_BYTES } from '../../limits.js';
import { qosOf } from '../../qos/index.js';
import type { HubService, ServiceContext } from '../types.js';

/** Topic naming rule of the action (protocol.md Appendix A PublishMessage). */
const TOPIC_SUFFIX = /^[a-zA-Z0-9:_-]{1,128}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fail(code: string, message: string): ApiError {
  return new ApiError(code, message);
}

interface ClientView { closed?: boolean; subscriptions?: Record<string, { qos: number }> }

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
    const client = localClient(ctx.hub, productId, deviceName);
    if (!client && ctx.hub.bus.clustered) {
      // In a cluster the device may be connected to another worker: that worker says whether it is subscribed.
      const answer = await askHolders(ctx.hub, productId, deviceName, topic);
      if (answer === 'unsubscribed') throw fail('FailedOperation.DeviceNoSubscription', `device ${deviceName} is online but not subscribed to ${topic}`);
      if (answer === 'subscribed') {
        await ctx.hub.publish(topic, payload, qos);
        return {};
      }
    }
    // Online from the CONNACK on: Aedes sets client.connected only after replaying the stored queue, so registration decides.
    if (!ctx.sessions.isOnline(productId, deviceName) || !client || client.closed) {
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
    const subscribed = subscribedTo(client, topic);
    if (!subscribed) throw fail('FailedOperation.DeviceNoSubscription', `device ${deviceName} is online but not subscribed to ${topic}`);
    await ctx.hub.publish(topic, payload, qos);
    return {};
  },
};

/** The device's connection on this worker (a sub-device online through its gateway: the gateway's, GW-012). */
function localClient(hub: ServiceContext, productId: string, deviceName: string): ClientView | undefined {
  const clients = (hub.broker as unknown as { clients: Record<string, ClientView | undefined> }).clients;
  const client = clients[productId + deviceName] ?? (hub.sessions.proxyClient(productId, deviceName) as ClientView | undefined);
  return client && !client.closed ? client : undefined;
}

function subscribedTo(client: ClientView, topic: string): boolean {
  const t = levels(topic);
  return Object.keys(client.subscriptions ?? {}).some((f) => covers(levels(f), t));
}

/** Asks the workers holding the device whether it is subscribed to the topic; 'offline' when none holds it (any more). */
async function askHolders(hub: ServiceContext, productId: string, deviceName: string, topic: string): Promise<'subscribed' | 'unsubscribed' | 'offline'> {
  let verdict: 'subscribed' | 'unsubscribed' | 'offline' = 'offline';
  for (const worker of hub.sessions.elsewhere(productId, deviceName)) {
    const a = await hub.bus.request(worker, 'publish-check', { productId, deviceName, topic }).catch(() => 'offline');
    if (a === 'subscribed') return a;
    if (a === 'unsubscribed') verdict = a;
  }
  return verdict;
}

export const publishService: HubService = {
  name: 'publish',
  actions: { PublishMessage },
  start(hub) {
    hub.bus.answer('publish-check', (d) => {
      const { productId, deviceName, topic } = d as { productId: string; deviceName: string; topic: string };
      const client = localClient(hub, productId, deviceName);
      return !client ? 'offline' : subscribedTo(client, topic) ? 'subscribed' : 'unsubscribed';
    });
  },
};

// HTTP device gateway: POST /device/publish signed with X-TC-* headers, published as the device under its own publish ACL (protocol.md §8).

import { cachedDeviceClasses } from '../../acl/classes.js';
import { decidePublish, encodedPacketSize } from '../../acl/publish.js';
import { MAX_PUBLISH_PACKET_BYTES } from '../../limits.js';
import type { HubService, ServiceContext } from '../types.js';
import { badField, GatewayError, gatewayRoute, readSignedRequest } from './request.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The PUBLISH packet this message would be: fixed header + topic + (packet id at QoS 1) + payload. */
function packetBytes(topic: string, payload: Buffer, qos: 0 | 1): number {
  return encodedPacketSize(2 + Buffer.byteLength(topic) + (qos ? 2 : 0) + payload.length);
}

async function publish(ctx: ServiceContext, req: Parameters<typeof readSignedRequest>[0]): Promise<void> {
  const { device, params: p } = await readSignedRequest(req, ctx, { skipTimestamp: ctx.faults.has('http-accept-stale-timestamp') });
  const topic = p['TopicName'];
  if (typeof topic !== 'string' || topic === '') throw badField('TopicName', 'a non-empty string, the full topic such as ${ProductId}/${DeviceName}/data', topic); // HTTP-009
  if (typeof p['Payload'] !== 'string') throw badField('Payload', 'a string', p['Payload']);
  const qosIn = p['Qos'];
  // HTTP-017: QoS 2 is served as 1, the hub's ceiling (protocol.md §1.1)
  if (typeof qosIn !== 'number' || ![0, 1, 2].includes(qosIn)) throw badField('Qos', '0 or 1 (2 is treated as 1)', qosIn);
  const qos: 0 | 1 = qosIn === 0 ? 0 : 1;
  const encoding = p['PayloadEncoding'];
  let payload: Buffer;
  if (encoding === undefined || encoding === null || encoding === '') payload = Buffer.from(p['Payload'] as string, 'utf8');
  else if (encoding === 'base64') {
    if (!BASE64.test(p['Payload'] as string)) throw badField('Payload', 'Base64 text (PayloadEncoding is "base64")', p['Payload']);
    payload = Buffer.from(p['Payload'] as string, 'base64');
  } else throw badField('PayloadEncoding', '"base64" or absent', encoding); // HTTP-011
  const size = packetBytes(topic, payload, qos);
  if (size > MAX_PUBLISH_PACKET_BYTES) {
    throw new GatewayError('InvalidParameterValue.PayloadOverLimit', `the message would be a PUBLISH of ${size} bytes; the limit is ${MAX_PUBLISH_PACKET_BYTES}`); // HTTP-016
  }
  // HTTP-010: the same decision as an MQTT PUBLISH from this device
  const verdict = decidePublish(cachedDeviceClasses(device.productId, device.deviceName, ctx.registry.policies(device.productId)).publish, topic, size, ctx.faults);
  if (!verdict.allowed) {
    throw new GatewayError('UnauthorizedOperation.PermissionDenied', `device ${device.productId}/${device.deviceName} may not publish to ${topic}: ${verdict.reason}`);
  }
  // HTTP-001, HTTP-014: routed like the device's MQTT PUBLISH, whether or not it is connected
  await ctx.publishAsDevice({ topic, payload, qos, productId: device.productId, deviceName: device.deviceName });
}

export const httpGateway: HubService = {
  name: 'http-gateway',
  http: {
    '/device/publish': (req, res, ctx) => gatewayRoute(ctx, req, res, () => publish(ctx, req)),
  },
};

// The hub's CoAP endpoint on UDP, as the official C SDK uses it (docs/coap.md): auth for a token, then confirmable POSTs
// to topic paths carrying the token, routed exactly like the device's MQTT PUBLISH (ACL, subscribers, rules, OTA).

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { generate, parse, type ParsedPacket } from 'coap-packet';
import { cachedDeviceClasses } from '../acl/classes.js';
import { decidePublish, encodedPacketSize } from '../acl/publish.js';
import type { Faults } from '../faults.js';
import type { ServiceContext } from '../services/types.js';
import { formatError } from './format.js';
import { Peers, type Peer } from './peers.js';
import {
  AUTH_URI, CODE, MAX_COAP_PAYLOAD_BYTES, MAX_DATAGRAM_BYTES, OPTION_AUTH_TOKEN, OPTION_NEED_RESP, SEPARATE_RESPONSE_WINDOW_MS,
} from './protocol.js';
import { Tokens } from './tokens.js';

export interface CoapEndpointOptions {
  ctx: ServiceContext;
  host: string;
  port: number;
  faults: Faults;
  log(line: string): void;
}

export interface CoapEndpoint {
  port: number;
  /** Binds a peer (address:port) to the DTLS PSK identity the relay authenticated it with (hub/coap/dtls/). */
  bindIdentity(peer: string, identity: string): void;
  /** Forgets a peer (its identity and message ids): the relay ended its session and frees its port. */
  forgetPeer(peer: string): void;
  /** Datagrams dropped unread (too short, not CoAP version 1, too long) since start. */
  readonly dropped: number;
  readonly peerCount: number;
  close(): Promise<void>;
}

interface Reply {
  code: string;
  payload?: Buffer;
}

/** A separate response the hub still owes: the OTA service's answer to a need-resp report (ota_coap.c qcloud_osc_report_version). */
interface Pending {
  peer: string;
  token: Buffer;
  until: number;
}

class Refusal extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const optionText = (p: ParsedPacket, n: number) => {
  const o = p.options.find((x) => String(x.name) === String(n));
  return o ? o.value.toString('utf8') : undefined;
};

/** Uri-Path levels joined: the SDK sends the whole topic as one Uri-Path option; a client sending one option per level means the same. */
const uriPath = (p: ParsedPacket) => p.options.filter((o) => o.name === 'Uri-Path').map((o) => o.value.toString('utf8')).join('/');

export async function startCoapEndpoint(o: CoapEndpointOptions): Promise<CoapEndpoint> {
  const { ctx, faults, log } = o;
  const peers = new Peers(() => Date.now());
  const tokens = new Tokens(() => ctx.clock.advanced(), faults.has('coap-ignore-token-expiry'));
  const pending = new Map<string, Pending[]>(); // by ${pid}/${dn}
  let nextMid = Math.floor(Math.random() * 0x10000);
  let dropped = 0;
  const socket: Socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });

  const send = (buf: Buffer, peer: string) => {
    const at = peer.lastIndexOf(':');
    socket.send(buf, Number(peer.slice(at + 1)), peer.slice(0, at));
  };

  const deviceOf = (peer: Peer, pid: string, dn: string) => {
    const device = ctx.registry.getDevice(pid, dn);
    if (!device) throw new Refusal(CODE.UNAUTHORIZED, `device ${pid}/${dn} does not exist`);
    if (device.enableState === 0) throw new Refusal(CODE.UNAUTHORIZED, `device ${pid}/${dn} is disabled`);
    // over DTLS the PSK identity is the ClientId, productId + deviceName (coap_client.c qcloud_iot_coap_init)
    if (peer.identity !== undefined && peer.identity !== `${pid}${dn}` && !faults.has('coaps-identity-unbound')) {
      throw new Refusal(CODE.UNAUTHORIZED, `the DTLS session is device ${peer.identity}, not ${pid}${dn}`);
    }
    return device;
  };

  // coap_client_auth.c coap_client_auth: POST ${pid}/${dn}/txauth9w0BAQsFA, payload "appid;connid" (NUL-padded by the SDK)
  const auth = (peer: Peer, levels: string[], p: ParsedPacket): Reply => {
    const [pid = '', dn = ''] = levels;
    const body = p.payload.toString('latin1').replace(/\0+$/, '');
    if (!/^[^;\0]{1,64};[A-Za-z0-9]{1,32}$/.test(body)) {
      throw new Refusal(CODE.BAD_REQUEST, `auth payload must be "appid;connid" (got ${JSON.stringify(body.slice(0, 80))})`);
    }
    deviceOf(peer, pid, dn);
    const token = tokens.issue(pid, dn);
    log(`coap: auth ${pid}/${dn}`);
    return { code: CODE.CONTENT, payload: Buffer.from(token) };
  };

  const publish = async (peer: string, state: Peer, topic: string, p: ParsedPacket): Promise<Reply> => {
    const token = optionText(p, OPTION_AUTH_TOKEN);
    if (token === undefined) throw new Refusal(CODE.UNAUTHORIZED, `no auth token (option ${OPTION_AUTH_TOKEN}); authenticate at \${productId}/\${deviceName}/${AUTH_URI} first`);
    const grant = tokens.check(token);
    if (grant === 'unknown') throw new Refusal(CODE.UNAUTHORIZED, 'the auth token is unknown');
    if (grant === 'expired') throw new Refusal(CODE.UNAUTHORIZED, 'the auth token has expired; authenticate again');
    const device = deviceOf(state, grant.productId, grant.deviceName);
    if (!faults.has('coap-no-payload-limit') && p.payload.length > MAX_COAP_PAYLOAD_BYTES) {
      throw new Refusal(CODE.TOO_LARGE, `payload of ${p.payload.length} bytes is over ${MAX_COAP_PAYLOAD_BYTES}`);
    }
    if (!faults.has('coap-skip-acl')) {
      // the same decision as the device's MQTT PUBLISH (the size is the PUBLISH packet it would be, far below 16 KiB here)
      const owner = { productId: device.productId, deviceName: device.deviceName };
      const verdict = decidePublish(cachedDeviceClasses(device.productId, device.deviceName, ctx.registry.policies(device.productId)).publish, topic, encodedPacketSize(2 + Buffer.byteLength(topic) + 2 + p.payload.length), faults, owner);
      if (!verdict.allowed) throw new Refusal(CODE.FORBIDDEN, `device ${device.productId}/${device.deviceName} may not publish to ${topic}: ${verdict.reason}`);
    }
    const needResp = optionText(p, OPTION_NEED_RESP) === '1';
    const otaReport = topic === `$ota/report/${device.productId}/${device.deviceName}`;
    const key = `${device.productId}/${device.deviceName}`;
    if (needResp && otaReport && p.token.length > 0) {
      // registered before the publish: the OTA service answers while publishAsDevice runs
      const list = (pending.get(key) ?? []).filter((x) => x.until > Date.now()).slice(-7);
      list.push({ peer, token: Buffer.from(p.token), until: Date.now() + SEPARATE_RESPONSE_WINDOW_MS });
      pending.set(key, list);
    }
    // A confirmable publish is routed at QoS 1 (the device retransmits until acknowledged), a non-confirmable one at 0.
    await ctx.publishAsDevice({ topic, payload: p.payload, qos: p.confirmable ? 1 : 0, productId: device.productId, deviceName: device.deviceName });
    // need_resp "1" on an OTA report: 2.03 now, the answer as a separate 2.05 (coap_client.h COAP_MSG_IS_EMPTY_ACK)
    return { code: needResp && otaReport && p.token.length > 0 ? CODE.VALID : CODE.CONTENT };
  };

  const handle = async (peer: string, state: Peer, p: ParsedPacket): Promise<Reply> => {
    if (p.code !== CODE.POST) throw new Refusal(CODE.METHOD_NOT_ALLOWED, `only POST is served (got ${p.code})`);
    const path = uriPath(p);
    const levels = path.split('/');
    if (levels.length === 3 && levels[2] === AUTH_URI) return auth(state, levels, p);
    if (path === '') throw new Refusal(CODE.NOT_FOUND, 'no Uri-Path: POST to a topic or to ${productId}/${deviceName}/' + AUTH_URI);
    return publish(peer, state, path, p);
  };

  const answer = (p: ParsedPacket, reply: Reply, mid: number): Buffer =>
    generate({ ack: p.confirmable, confirmable: false, messageId: mid, token: p.token, code: reply.code, ...(reply.payload ? { payload: reply.payload } : {}) });

  const onDatagram = (msg: Buffer, rinfo: RemoteInfo) => {
    // RFC 7252 §3: 4-byte header, version 1; anything else is not CoAP and is dropped silently
    if (msg.length < 4 || msg[0]! >> 6 !== 1 || msg.length > MAX_DATAGRAM_BYTES) {
      dropped++;
      return;
    }
    const peer = `${rinfo.address}:${rinfo.port}`;
    const type = (msg[0]! >> 4) & 3;
    const mid = msg.readUInt16BE(2);
    let p: ParsedPacket;
    try {
      const error = formatError(msg); // RFC 7252 §3
      if (error) throw new Error(error);
      p = parse(msg);
    } catch (e) {
      // RFC 7252 §4.2: a confirmable message that cannot be read is answered; here 4.00 with its message id
      if (type === 0) send(generate({ ack: true, messageId: mid, code: CODE.BAD_REQUEST, payload: Buffer.from(`malformed CoAP message: ${(e as Error).message}`) }), peer);
      else dropped++;
      return;
    }
    if (p.ack || p.reset) return; // acknowledgements of the hub's own separate responses: nothing to do
    if (p.code === '0.00') {
      if (p.confirmable) send(generate({ reset: true, confirmable: false, messageId: p.messageId, code: '0.00' }), peer); // CoAP ping
      return;
    }
    if (!p.code.startsWith('0.')) {
      // a response code in a request (RFC 7252 §4.2, §4.3): rejected with a reset, never processed
      if (p.confirmable) send(generate({ reset: true, confirmable: false, messageId: p.messageId, code: '0.00' }), peer);
      return;
    }
    const state = peers.get(peer);
    const mine = faults.has('coap-ack-new-mid') ? (nextMid = (nextMid + 1) & 0xffff) : p.messageId;
    if (!faults.has('coap-no-dedup')) {
      const known = peers.recall(state, p.messageId);
      if (known !== 'new') {
        // RFC 7252 §4.5: a duplicate is processed once; a confirmable one gets the same answer again
        if (known instanceof Buffer) send(known, peer);
        return;
      }
      peers.remember(state, p.messageId, 'pending');
    }
    handle(peer, state, p).then(
      (reply) => reply,
      (e: unknown) => {
        if (e instanceof Refusal) {
          log(`coap: ${peer} -> ${e.code}: ${e.message}`);
          return { code: e.code, payload: Buffer.from(e.message) };
        }
        log(`coap: ${peer}: internal error: ${(e as Error).stack ?? String(e)}`);
        return { code: CODE.INTERNAL, payload: Buffer.from('internal error in the reference hub') };
      },
    ).then((reply) => {
      // NON requests get no ACK; their refusals are answered NON so a client can still see them (RFC 7252 §5.2.3)
      const out = p.confirmable || reply.code.startsWith('4') || reply.code.startsWith('5') ? answer(p, reply, p.confirmable ? mine : (nextMid = (nextMid + 1) & 0xffff)) : undefined;
      if (!faults.has('coap-no-dedup')) peers.remember(state, p.messageId, out);
      if (out) send(out, peer);
    });
  };

  // The OTA service's answers to a device: sent as the separate 2.05 response of its pending need-resp report.
  const onOtaUpdate = (packet: { topic: string; payload: Buffer | string }, done: () => void) => {
    const m = /^\$ota\/update\/([^/]+)\/([^/]+)$/.exec(packet.topic);
    const key = m ? `${m[1]}/${m[2]}` : '';
    const list = pending.get(key)?.filter((x) => x.until > Date.now());
    const next = list?.shift();
    if (list && list.length) pending.set(key, list);
    else pending.delete(key);
    if (next) {
      nextMid = (nextMid + 1) & 0xffff;
      send(generate({ confirmable: false, messageId: nextMid, token: next.token, code: CODE.CONTENT, payload: Buffer.from(packet.payload) }), next.peer);
    }
    done();
  };
  await new Promise<void>((resolve) => ctx.broker.subscribe('$ota/update/+/+', onOtaUpdate as never, resolve));

  socket.on('message', onDatagram);
  socket.on('error', (e) => log(`coap: socket error: ${e.message}`));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port, o.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const sweep = setInterval(() => peers.sweep(), 30_000);
  sweep.unref();
  return {
    port: socket.address().port,
    bindIdentity(peer, identity) {
      peers.get(peer).identity = identity;
    },
    forgetPeer(peer) {
      peers.forget(peer);
    },
    get dropped() {
      return dropped;
    },
    get peerCount() {
      return peers.size;
    },
    async close() {
      clearInterval(sweep);
      await new Promise<void>((resolve) => ctx.broker.unsubscribe('$ota/update/+/+', onOtaUpdate as never, () => resolve()));
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

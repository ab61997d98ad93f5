/** Holds the probe's measurements against what the target claims: explicit limits, and those its capabilities imply. */
import type { Finding, MeasuredBound, ProbeResult } from '../report/model.js';
import type { ResolvedTarget } from '../target/resolved.js';
import { COAP_PAYLOAD_BYTES, INFLIGHT_SENT } from './measure.js';

/** The documented inflight window (protocol.md §11) that the inflight-window capability claims. */
const CLAIMED_INFLIGHT = 150;

function bound(m: MeasuredBound, unit: string): string {
  if (m.max === null) return `nothing accepted`;
  return m.capped ? `accepted ${m.max} ${unit} (the search cap) and more may be` : `accepted up to ${m.max} ${unit}, refused ${m.max + 1}`;
}

export function findingsFor(target: ResolvedTarget, probe: ProbeResult): Finding[] {
  const offers = (c: string) => target.capabilities.includes(c);
  const stated = (field: string) => target.claimedLimits?.includes(field) ?? false;
  const out: Finding[] = [];
  const limit = (id: string, field: 'topicBytes' | 'packetBytes' | 'keepaliveMaxSeconds', capability: string, unit: string, what: string) => {
    const m = probe[field];
    if (!m || !(stated(field) || offers(capability))) return;
    const claim = target.limits[field];
    if (m.max === claim && !m.capped) return;
    if (m.capped && m.max !== null && claim > m.max) return; // the claim lies beyond what was searched
    out.push({ id, claim: `${what} up to ${claim} ${unit} (${stated(field) ? `limits.${field}` : `capability ${capability}`})`, measured: bound(m, unit) });
  };
  limit('topic-bytes', 'topicBytes', 'topic-limits', 'bytes', 'topic names');
  limit('packet-bytes', 'packetBytes', 'topic-limits', 'bytes', 'PUBLISH packets');
  limit('keepalive-max', 'keepaliveMaxSeconds', 'keepalive-limits', 's', 'KeepAlive');
  const coap = probe.coapPayloadBytes;
  if (coap && offers('coap') && (coap.max !== COAP_PAYLOAD_BYTES || coap.capped)) {
    out.push({ id: 'coap-payload-bytes', claim: `CoAP publish payloads up to ${COAP_PAYLOAD_BYTES} bytes (capability coap)`, measured: bound(coap, 'bytes') });
  }
  if (offers('qos-max-1') && probe.grantedQosForQos2 === 2) {
    out.push({ id: 'qos2-granted', claim: 'QoS 2 is never granted (capability qos-max-1)', measured: 'a SUBSCRIBE requesting QoS 2 was granted QoS 2' });
  }
  if (offers('mqtt-subset') && probe.retainHonoured) {
    out.push({ id: 'retain-honoured', claim: 'no retained messages (capability mqtt-subset)', measured: 'a retained message was delivered to a later subscription' });
  }
  if (offers('mqtt-subset') && probe.willHonoured) {
    out.push({ id: 'will-honoured', claim: 'no will messages (capability mqtt-subset)', measured: 'a will was published when its connection dropped' });
  }
  if (offers('inflight-window') && probe.inflight && probe.inflight.delivered !== CLAIMED_INFLIGHT) {
    const d = probe.inflight.delivered;
    out.push({ id: 'inflight-window', claim: `${CLAIMED_INFLIGHT} unacknowledged QoS 1 messages at a time (capability inflight-window)`, measured: d >= INFLIGHT_SENT ? `all ${d} of ${INFLIGHT_SENT} delivered without acknowledgement` : `${d} delivered without acknowledgement` });
  }
  return out;
}

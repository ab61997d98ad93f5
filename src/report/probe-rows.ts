/** The probe's measurements as label/value rows, one wording for the terminal and the HTML report. */
import type { MeasuredBound, ProbeResult } from './model.js';

/** `atLeast` marks a bound the search stopped at (capped): '≥ ' in HTML, '>= ' where the terminal may lack the glyph. */
export function probeRows(p: ProbeResult, atLeast: string): [string, string][] {
  const bound = (b?: MeasuredBound) => (b ? (b.max === null ? 'none accepted' : `${b.capped ? atLeast : ''}${b.max}`) : 'not measured');
  const yesNo = (v?: boolean) => (v === undefined ? 'not measured' : v ? 'yes' : 'no');
  return [
    ['longest topic accepted (bytes)', bound(p.topicBytes)],
    ['largest PUBLISH accepted (bytes)', bound(p.packetBytes)],
    ['largest KeepAlive accepted (s)', bound(p.keepaliveMaxSeconds)],
    ['largest CoAP payload accepted (bytes)', bound(p.coapPayloadBytes)],
    ['granted for a QoS 2 SUBSCRIBE', p.grantedQosForQos2 === undefined ? 'not measured' : p.grantedQosForQos2 === 0x80 ? 'refused (0x80)' : `QoS ${p.grantedQosForQos2}`],
    ['unacknowledged QoS 1 deliveries', p.inflight ? `${p.inflight.delivered} of ${p.inflight.sent}` : 'not measured'],
    ['retained messages honoured', yesNo(p.retainHonoured)],
    ['will messages honoured', yesNo(p.willHonoured)],
  ];
}

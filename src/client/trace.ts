/** A per-test transcript of what went over the wire, kept as evidence for failures. */
import type { Evidence } from '../report/model.js';

interface Entry { at: number; channel: string; line: string }

const MAX_ENTRIES = 400;
const MAX_LINE = 300;

/** Renders an MQTT packet (as mqtt-packet/mqtt.js decode it) as one readable line. */
export function describePacket(p: Record<string, unknown>): string {
  const payload = p.payload as Buffer | string | undefined;
  const parts: string[] = [String(p.cmd).toUpperCase()];
  const add = (k: string, v: unknown) => { if (v !== undefined && v !== null && v !== '') parts.push(`${k}=${v}`); };
  switch (p.cmd) {
    case 'connect':
      add('protocol', `${p.protocolId}/${p.protocolVersion}`); add('clientId', JSON.stringify(p.clientId));
      add('username', JSON.stringify(p.username)); add('password', p.password === undefined ? undefined : JSON.stringify(String(p.password)));
      add('keepalive', p.keepalive); add('clean', p.clean);
      break;
    case 'connack': add('returnCode', p.returnCode); add('sessionPresent', p.sessionPresent); break;
    case 'publish': {
      add('topic', JSON.stringify(p.topic)); add('qos', p.qos); add('messageId', p.messageId);
      if (p.dup) add('dup', true); if (p.retain) add('retain', true);
      const size = payload === undefined ? 0 : Buffer.byteLength(payload);
      const text = payload === undefined ? '' : Buffer.from(payload).subarray(0, 60).toString('utf8');
      parts.push(`payload(${size} B)=${JSON.stringify(text)}${size > 60 ? '…' : ''}`);
      break;
    }
    case 'subscribe': add('messageId', p.messageId); add('filters', JSON.stringify((p.subscriptions as { topic: string; qos: number }[]).map((s) => `${s.topic}@${s.qos}`))); break;
    case 'suback': add('messageId', p.messageId); add('granted', JSON.stringify(p.granted)); break;
    case 'unsubscribe': add('messageId', p.messageId); add('filters', JSON.stringify(p.unsubscriptions)); break;
    default: add('messageId', p.messageId);
  }
  return parts.join(' ');
}

export class Trace {
  private readonly entries: Entry[] = [];
  private readonly start = Date.now();
  private dropped = 0;

  add(channel: string, line: string): void {
    // Keep the most recent entries: the end of a transcript is what explains a failure.
    if (this.entries.length >= MAX_ENTRIES) { this.entries.shift(); this.dropped++; }
    this.entries.push({ at: Date.now() - this.start, channel, line: line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line });
  }

  mqtt(channel: string, direction: '→' | '←', packet: Record<string, unknown>): void {
    this.add(channel, `${direction} ${describePacket(packet)}`);
  }

  /** Evidence blocks, one per channel (a device connection, the cloud API), in time order within each. */
  evidence(): Evidence[] {
    const channels = [...new Set(this.entries.map((e) => e.channel))];
    const blocks: Evidence[] = channels.map((channel) => ({
      kind: channel === 'cloud-api' ? 'http' : 'mqtt',
      title: channel,
      lines: this.entries.filter((e) => e.channel === channel).map((e) => `+${String(e.at).padStart(5)} ms ${e.line}`),
    }));
    if (this.dropped) blocks.push({ kind: 'note', title: 'trace truncated', lines: [`the ${this.dropped} earliest entries were not kept`] });
    return blocks;
  }
}

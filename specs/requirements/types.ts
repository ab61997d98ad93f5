/** The shape of one requirement record in the catalogue. */

export type Level = 'MUST' | 'SHOULD' | 'MAY' | 'DEVIATION';

/** What a target must offer for a requirement to apply to it. */
export type Capability =
  | 'mqtt-tcp' | 'websocket' | 'signed-login' | 'single-session' | 'keepalive-limits'
  | 'topic-acl' | 'custom-topic-policies' | 'tencent-wildcards' | 'topic-limits' | 'qos-max-1'
  | 'cloud-api';

export interface Requirement {
  title: string;
  statement: string;
  level: Level;
  /** Where the statement comes from: protocol.md section, seed section, access-rules.md. */
  source: string;
  capability: Capability;
  /** For UNCONFIRMED statements: the behaviour chosen and why. */
  choice?: string;
}

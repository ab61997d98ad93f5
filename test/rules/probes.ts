// Fault probes for the rules engine (used by test/hub/faults.test.ts; true = the hub conforms). Each removes its rules.
import { createServer } from 'node:http';
import type { RunningHub } from '../../hub/index.js';
import { api, connectDevice, inbox, type Device } from '../hub/helpers.js';

type Probe = (hub: RunningHub, a: Device, b: Device) => Promise<boolean>;

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Creates rules (name → [sql, disabled]) republishing to b's data topic, publishes `payloads` from a, returns what b got after `until` arrived. */
async function republishRound(hub: RunningHub, a: Device, b: Device, rules: [string, string, boolean][], payloads: string[], until: (got: string[]) => boolean): Promise<string[]> {
  const out = `${b.productId}/${b.deviceName}/data`;
  for (const [name, sql, disabled] of rules) {
    await api(hub, 'CreateTopicRule', { RuleName: name, TopicRulePayload: { Sql: b64(sql), Actions: JSON.stringify([{ republish: { topic: out } }]), RuleDisabled: disabled } });
  }
  const rx = await connectDevice(hub, b);
  const tx = await connectDevice(hub, a);
  try {
    await rx.subscribeAsync(out, { qos: 1 });
    const box = inbox(rx);
    for (const p of payloads) await tx.publishAsync(`${a.productId}/${a.deviceName}/event`, p, { qos: 1 });
    const end = Date.now() + 2000;
    while (!until(box.messages.map((m) => m.payload)) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return box.messages.map((m) => m.payload);
  } finally {
    await Promise.all([rx.endAsync(), tx.endAsync()]);
    for (const [name] of rules) await api(hub, 'DeleteTopicRule', { RuleName: name });
  }
}

export const RULES_PROBES: Record<string, Probe> = {
  'rules-ignore-where': async (hub, a, b) => {
    const got = await republishRound(hub, a, b, [['probe_where', `SELECT v FROM '${a.productId}/${a.deviceName}/event' WHERE v > 5`, false]], ['{"v":1}', '{"v":9}'], (g) => g.includes('{"v":9}'));
    return got[0] === '{"v":9}';
  },
  'rules-disabled-still-fires': async (hub, a, b) => {
    const from = `'${a.productId}/${a.deviceName}/event'`;
    const got = await republishRound(hub, a, b, [['probe_off', `SELECT 'off' AS who FROM ${from}`, true], ['probe_on', `SELECT 'on' AS who FROM ${from}`, false]], ['{}'], (g) => g.includes('{"who":"on"}'));
    return got.length === 1 && got[0] === '{"who":"on"}';
  },
  'rules-wrong-topic-match': async (hub, a, b) => {
    const got = await republishRound(hub, a, b, [['probe_plus', `SELECT 'plus' AS who FROM '${a.productId}/+'`, false], ['probe_ctl', `SELECT 'ctl' AS who FROM '${a.productId}/${a.deviceName}/event'`, false]], ['{}'], (g) => g.includes('{"who":"ctl"}'));
    return got.length === 1 && got[0] === '{"who":"ctl"}';
  },
  'rules-forward-without-token': async (hub, a) => {
    const posts: Record<string, string | string[] | undefined>[] = [];
    const server = createServer((req, res) => {
      if (req.method === 'POST') posts.push(req.headers);
      res.end(req.method === 'GET' ? String(req.headers.echostr ?? '') : 'ok');
      req.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await api(hub, 'CreateTopicRule', { RuleName: 'probe_fwd', TopicRulePayload: { Sql: b64(`SELECT * FROM '${a.productId}/${a.deviceName}/event'`), Actions: JSON.stringify([{ forward: { api: `http://127.0.0.1:${port}/`, token: 't' } }]) } });
      const tx = await connectDevice(hub, a);
      await tx.publishAsync(`${a.productId}/${a.deviceName}/event`, '{"x":1}', { qos: 1 });
      const end = Date.now() + 2000;
      while (posts.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      await tx.endAsync();
      await api(hub, 'DeleteTopicRule', { RuleName: 'probe_fwd' });
      return typeof posts[0]?.signature === 'string' && typeof posts[0]?.nonce === 'string';
    } finally {
      server.closeAllConnections();
      server.close();
    }
  },
};

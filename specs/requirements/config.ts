/** Remote configuration over $config topics (protocol.md §5; seed §1.5; compat.md). */
import type { Requirement } from './types.js';

const HOOK = 'iotcloud 2018-06-14 has no action to set or push a configuration (console only, protocol.md §5); the reference hub takes both through its extension action HubcheckSetProductConfig (hub/README.md), and a target without an equivalent offers no remote-config.';

export const config = {
  'CFG-001': { level: 'MUST', capability: 'remote-config', source: 'protocol.md §5; seed §1.5.2.2', title: 'A config request is answered with the configuration',
    statement: 'A {"type":"get"} on $config/operation/${pid}/${dn} is answered on $config/operation/result/${pid}/${dn} with {"type":"reply","result":0,"payload":C}, C being the product\'s configuration.', choice: HOOK },
  'CFG-002': { level: 'MUST', capability: 'remote-config', source: 'protocol.md §5', title: 'The configuration travels as a JSON object',
    statement: 'The payload field of reply and push messages is the configured JSON object itself, not a string holding it.',
    choice: 'Every example and the C SDK carry an object, although the doc table says "string" (protocol.md §5).', tags: ['unconfirmed', 'compat'] },
  'CFG-003': { level: 'MUST', capability: 'remote-config', source: 'protocol.md §5; seed §1.5.2.1', title: 'A pushed configuration reaches every device of the product',
    statement: 'A push (批量下发) sends {"type":"push","result":0,"payload":C} to every online device of the product subscribed to its config result topic, and to no device of another product.', choice: HOOK },
  'CFG-004': { level: 'MUST', capability: 'remote-config', source: 'protocol.md §5; seed §1.5.2 (the switch must be turned on: "开启远程配置开关"; 1001 "配置已禁用")', title: 'Disabled remote config answers 1001',
    statement: 'When remote configuration is not switched on for the product (switched off, or never switched on: the switch starts off, and setting content does not turn it on), a get is answered with result 1001 and no configuration.', choice: HOOK, tags: ['negative'] },
  'CFG-005': { level: 'SHOULD', capability: 'remote-config', source: 'protocol.md §5 (C-SDK doc)', title: 'Missing config content answers 1002',
    statement: 'When remote configuration is switched on but no content was ever set, a get is answered with result 1002.',
    choice: 'Only the C SDK doc lists 1002/1003; the reference hub uses 1002 as documented there and never produces 1003 because it validates content when it is set.', tags: ['unconfirmed', 'negative'] },
  'CFG-006': { level: 'MUST', capability: 'remote-config', source: 'protocol.md §2.5, §5; compat.md', title: 'The legacy $config/report pair is served',
    statement: 'A {"type":"get"} on $config/report/${pid}/${dn} is answered on $config/update/${pid}/${dn} as CFG-001 says, and pushes also reach devices subscribed to $config/update.',
    choice: 'Pushes go to whichever of the two result topics each device subscribed (both if both), so old and new SDKs work side by side.', tags: ['compat', 'unconfirmed'] },
  'CFG-007': { level: 'MUST', capability: 'remote-config', source: 'protocol.md §5, §11', title: 'Configurations up to 8 KB arrive intact',
    statement: 'A JSON configuration of up to 8 KB is delivered byte-equivalent (same JSON value) in reply and push messages.',
    choice: 'The limit is 8 KB (old) or 128 KB (new); larger pushes would exceed the 16 KB packet limit (LIM-003), so suites test only up to 8 KB and the reference hub accepts configurations up to 128 KB.', tags: ['unconfirmed', 'boundary'] },
  'CFG-008': { level: 'MAY', capability: 'remote-config', source: 'protocol.md §5', title: 'Unknown config request types',
    statement: 'A message on $config/operation whose type is not "get" may be ignored.',
    choice: 'The reference hub ignores it (no reply): the request content is documented as fixed.', tags: ['unconfirmed'] },
} as const satisfies Record<string, Requirement>;

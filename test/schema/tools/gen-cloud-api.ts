/** Regenerates schemas/cloud-api.schema.json from protocol.md Appendix A/B: `npx tsx test/schema/tools/gen-cloud-api.ts [path/to/protocol.md]`. */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAppendix, type ActionSpec, type Appendix, type ParamRow } from '../doc/appendix.js';

type Schema = Record<string, unknown>;

/** Value constraints the tables state in prose (Appendix A/B descriptions, §9.7, §11); applied to request fields. */
const REQUEST_CONSTRAINTS: Record<string, Record<string, Schema>> = {
  CreateProduct: { ProductName: { pattern: '^[a-zA-Z0-9:_-]{1,32}$' } },
  CreateDevice: { DeviceName: { pattern: '^[a-zA-Z0-9:_-]{1,48}$' }, Isp: { enum: [1, 2, 3] } },
  DescribeDevices: { Limit: { minimum: 10, maximum: 250 }, Offset: { minimum: 0 }, EnableState: { enum: [0, 1] } },
  DescribeProducts: { Limit: { minimum: 10, maximum: 250 }, Offset: { minimum: 0 } },
  UpdateDeviceAvailableState: { EnableState: { enum: [0, 1] } },
  UpdateDevicesEnableState: { Status: { enum: [0, 1] } },
  CreateTopicPolicy: { Privilege: { enum: [1, 2, 3] } },
  UpdateTopicPolicy: { Privilege: { enum: [1, 2, 3] } },
  PublishMessage: { Qos: { enum: [0, 1] }, PayloadEncoding: { enum: ['', 'base64'] } },
  PublishBroadcastMessage: { Qos: { enum: [0, 1] }, PayloadEncoding: { enum: ['', 'base64'] } },
  UpdateDeviceShadow: { Prefix: { enum: ['$shadow', '$template'] }, ShadowVersion: { minimum: 0 } },
  BatchUpdateFirmware: { UpgradeMethod: { enum: [0, 1] }, TimeoutInterval: { minimum: 60, maximum: 3600 } },
  UploadFirmware: { FileSize: { minimum: 0 } },
  ReplaceTopicRule: { ModifyType: { enum: [0, 1, 2, 3] }, ActionIndex: { minimum: 0 } },
};

/** Why some request fields carry a description beyond the table's (kept short; the tables are Chinese). */
const PRODUCT_ID_NOTE = 'Spelled ProductID (capital D) in this action, exactly as Appendix A has it; compat.md: 25 request types use this spelling.';

function baseType(type: string, ctx: 'in' | 'out'): Schema {
  if (type === 'string') return { type: 'string' };
  if (type === 'int') return { type: 'integer' };
  if (type === 'bool') return { type: 'boolean' };
  const list = /^list<(.+)>$/.exec(type);
  if (list) return { type: 'array', items: baseType(list[1] ?? '', ctx) };
  return { $ref: `#/$defs/${type}` };
}

function fieldSchema(row: ParamRow, ctx: 'in' | 'out', extra: Schema = {}): Schema {
  const s: Schema = { ...baseType(row.type, ctx), ...extra };
  if (row.name === 'ProductID') s.description = PRODUCT_ID_NOTE;
  if (ctx === 'out' && row.nullable) {
    if (typeof s.type === 'string') return { ...s, type: [s.type, 'null'] };
    return { anyOf: [s, { type: 'null' }] };
  }
  return s;
}

/** Field names present in an official example response (top level of Response). */
function exampleFields(action: ActionSpec): Set<string> {
  const parsed = JSON.parse(action.responseExample ?? '{"Response":{}}') as { Response?: Record<string, unknown> };
  return new Set(Object.keys(parsed.Response ?? {}));
}

function requestDef(action: ActionSpec): Schema {
  const constraints = REQUEST_CONSTRAINTS[action.name] ?? {};
  const properties: Record<string, Schema> = {};
  for (const row of action.request) properties[row.name] = fieldSchema(row, 'in', constraints[row.name]);
  return {
    title: `${action.name} request`,
    description: `Action-specific parameters of ${action.name} (Appendix A). Open: a v1 GET/form request carries the common parameters (Action, Version, Region, Nonce, ...) alongside them.`,
    type: 'object',
    required: action.request.filter((r) => r.required).map((r) => r.name),
    properties,
  };
}

function responseDef(action: ActionSpec): Schema {
  const seen = exampleFields(action);
  const properties: Record<string, Schema> = {};
  for (const row of action.response) properties[row.name] = fieldSchema(row, 'out');
  const fields = action.response.filter((r) => r.name !== 'RequestId');
  const omitted = fields.filter((r) => !r.nullable && !seen.has(r.name)).map((r) => r.name);
  const body: Schema = {
    type: 'object',
    additionalProperties: false,
    required: ['RequestId', ...fields.filter((r) => !r.nullable && seen.has(r.name)).map((r) => r.name)],
    properties,
  };
  if (omitted.length) body.$comment = `Not required because the official example omits them: ${omitted.join(', ')}.`;
  return {
    title: `${action.name} response`,
    description: `Successful ${action.name} answer (Appendix A). Closed: the hub sends it and the table lists every field; fields the table marks "may return null" accept null.`,
    type: 'object',
    additionalProperties: false,
    required: ['Response'],
    properties: { Response: body },
  };
}

/** Every object of each Appendix B type found in the official response examples, to learn which fields examples leave out. */
function typeInstances(app: Appendix): Map<string, Record<string, unknown>[]> {
  const found = new Map<string, Record<string, unknown>[]>();
  const visit = (type: string, value: unknown): void => {
    const list = /^list<(.+)>$/.exec(type);
    if (list) { if (Array.isArray(value)) for (const v of value) visit(list[1] ?? '', v); return; }
    const spec = app.types.get(type);
    if (!spec || value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const obj = value as Record<string, unknown>;
    found.set(type, [...(found.get(type) ?? []), obj]);
    for (const f of spec.fields) visit(f.type, obj[f.name]);
  };
  for (const action of app.actions.values()) {
    const parsed = JSON.parse(action.responseExample ?? '{}') as { Response?: Record<string, unknown> };
    for (const row of action.response) visit(row.type, parsed.Response?.[row.name]);
  }
  return found;
}

function typeDef(app: Appendix, name: string, instances: Record<string, unknown>[]): Schema {
  const t = app.types.get(name);
  if (!t) throw new Error(`unknown type ${name}`);
  const ctx = t.usage === 'in' ? 'in' : 'out';
  const properties: Record<string, Schema> = {};
  for (const row of t.fields) properties[row.name] = fieldSchema(row, ctx);
  const wanted = t.fields.filter((r) => r.required && !(ctx === 'out' && r.nullable));
  const omitted = wanted.filter((r) => instances.some((i) => !(r.name in i))).map((r) => r.name);
  const def: Schema = {
    title: name,
    description: `Appendix B data type ${name} (usage: ${t.usage}). Closed: Appendix B lists every field.`,
    type: 'object',
    additionalProperties: false,
    required: wanted.map((r) => r.name).filter((n) => !omitted.includes(n)),
    properties,
  };
  if (omitted.length) def.$comment = `Not required because an official example omits them: ${omitted.join(', ')}.`;
  return def;
}

export function buildCloudApiSchema(app: Appendix): Schema {
  const defs: Record<string, Schema> = {
    envelope: {
      title: 'Cloud API success envelope',
      description: 'Every iotcloud answer (§9.5): {"Response": {<action fields>, "RequestId"}}. Open inside Response: use the per-action definitions to check the fields.',
      type: 'object', additionalProperties: false, required: ['Response'],
      properties: { Response: { type: 'object', required: ['RequestId'], properties: { RequestId: { type: 'string', minLength: 1 } } } },
    },
    errorResponse: {
      title: 'Cloud API error',
      description: 'A failed call (§9.5, ERR-DOC): {"Response": {"Error": {"Code", "Message"}, "RequestId"}}. Closed: the hub sends it and §9.5 lists every field. Codes are listed in §9.5 and Appendix A.',
      type: 'object', additionalProperties: false, required: ['Response'],
      properties: {
        Response: {
          type: 'object', additionalProperties: false, required: ['Error', 'RequestId'],
          properties: {
            Error: {
              type: 'object', additionalProperties: false, required: ['Code', 'Message'],
              properties: {
                Code: { type: 'string', pattern: '^[A-Za-z]+(\\.[A-Za-z0-9]+)*$', description: 'e.g. AuthFailure.SignatureFailure, ResourceNotFound.DeviceNotExist' },
                Message: { type: 'string' },
              },
            },
            RequestId: { type: 'string', minLength: 1 },
          },
        },
      },
    },
  };
  const instances = typeInstances(app);
  for (const name of [...app.types.keys()].sort()) defs[name] = typeDef(app, name, instances.get(name) ?? []);
  for (const name of [...app.actions.keys()].sort()) {
    const action = app.actions.get(name)!;
    defs[`${name}Request`] = requestDef(action);
    defs[`${name}Response`] = responseDef(action);
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://hubcheck.dev/schemas/cloud-api.schema.json',
    title: 'iotcloud cloud API 2018-06-14',
    description: [
      'Generated from protocol.md Appendix A (all 69 actions: <Action>Request / <Action>Response) and Appendix B (data types) by test/schema/tools/gen-cloud-api.ts; do not edit by hand.',
      'Requests: the action parameters with Appendix A\'s Req column as `required` and its exact spelling (ProductId vs ProductID); open, because v1 GET/form requests mix in the common parameters.',
      'Responses and data types: closed (additionalProperties false) because the hub sends them and Appendix A/B list every field, so a conformance check sees extra or misspelt fields;',
      'RequestId is always required (Appendix A: every response carries it); the other fields, and Appendix B Req=Y fields, are required unless the table says they may be null or an official example leaves them out ($comment names those).',
      'Types are Appendix A/B\'s: string, int -> integer, bool -> boolean, list<T> -> array. Errors: errorResponse.',
    ].join(' '),
    $defs: defs,
  };
}

const isMain = process.argv[1]?.endsWith('gen-cloud-api.ts');
if (isMain) {
  const docPath = process.argv[2] ?? new URL('../../../../shared/reference/protocol.md', import.meta.url).pathname;
  const out = new URL('../../../schemas/cloud-api.schema.json', import.meta.url);
  const schema = buildCloudApiSchema(parseAppendix(readFileSync(docPath, 'utf8')));
  writeFileSync(out, JSON.stringify(schema, null, 2) + '\n');
  console.log(`wrote ${out.pathname}: ${Object.keys(schema.$defs as object).length} definitions`);
}

/** Registers every hubcheck JSON Schema once, strictly (each definition compiled on first use), and validates payloads against `$id#/$defs/name` references with readable errors. */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

/** The message-family schemas under schemas/ (target.schema.json belongs to the target descriptor and is loaded there). */
export const SCHEMA_FILES = [
  'shadow.schema.json', 'ota.schema.json', 'config.schema.json', 'log.schema.json', 'rrpc.schema.json', 'broadcast.schema.json',
  'ntp.schema.json', 'http-gateway.schema.json', 'cloud-api.schema.json', 'results.schema.json', 'gateway.schema.json',
  'certification-predicate.schema.json', 'bundle-manifest.schema.json',
] as const;

export const SCHEMA_BASE = 'https://hubcheck.dev/schemas/';

export interface SchemaError { path: string; message: string }
export type ValidationResult = { ok: true } | { ok: false; errors: SchemaError[]; text: string };

const PAYLOAD_PREVIEW = 600;

// ajv-formats is CommonJS: under NodeNext its default import is the module object or the plugin itself.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as typeof addFormatsModule.default;

function loadSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
}

/** Builds the single strict Ajv instance: no coercion, no defaults, no removal, every error reported. */
function build(): Ajv2020 {
  const ajv = new Ajv2020({
    strict: true,
    allowUnionTypes: true, // ["integer", "null"] for nullable fields; still strict about everything else
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    validateFormats: true,
  });
  addFormats(ajv);
  for (const file of SCHEMA_FILES) ajv.addSchema(loadSchema(file));
  // Definitions compile on first use: each suite file is its own module context and needs only a few of the
  // hundreds of definitions. test/schema/registry.test.ts compiles every one, so a broken schema still fails there.
  return ajv;
}

let instance: Ajv2020 | undefined;
const definitionCache = new Map<string, string[]>();

/** The shared Ajv instance (built on first use). */
export function schemaRegistry(): Ajv2020 {
  instance ??= build();
  return instance;
}

/** Names under `$defs` of one schema file, e.g. definitionNames('shadow.schema.json') includes 'updateRequest'. */
export function definitionNames(file: string): string[] {
  let names = definitionCache.get(file);
  if (!names) {
    names = Object.keys((loadSchema(file).$defs ?? {}) as Record<string, unknown>);
    definitionCache.set(file, names);
  }
  return names;
}

/** Every `$id#/$defs/name` reference the registry knows, plus each file's root `$id`. */
export function schemaRefs(): string[] {
  return SCHEMA_FILES.flatMap((file) => [SCHEMA_BASE + file, ...definitionNames(file).map((n) => `${SCHEMA_BASE}${file}#/$defs/${n}`)]);
}

/** Accepts a full reference or a short one relative to the schema base ('shadow.schema.json#/$defs/getReply'). */
function normalise(ref: string): string {
  return ref.startsWith('https://') ? ref : SCHEMA_BASE + ref;
}

function validator(ref: string): ValidateFunction {
  const full = normalise(ref);
  const fn = schemaRegistry().getSchema(full);
  if (!fn) throw new Error(`unknown schema reference: ${full}`);
  return fn;
}

function describe(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': return `has unexpected property "${String(p.additionalProperty)}"`;
    case 'required': return `is missing required property "${String(p.missingProperty)}"`;
    case 'const': return `must equal ${JSON.stringify(p.allowedValue)}`;
    case 'enum': return `must be one of ${JSON.stringify(p.allowedValues)}`;
    default: return error.message ?? error.keyword;
  }
}

function preview(payload: unknown): string {
  let text: string;
  try { text = typeof payload === 'string' ? payload : JSON.stringify(payload) ?? String(payload); } catch { text = String(payload); }
  return text.length > PAYLOAD_PREVIEW ? `${text.slice(0, PAYLOAD_PREVIEW)}… (${text.length} chars)` : text;
}

/** The readable explanation used in reports and thrown errors. */
export function formatErrors(ref: string, origin: string, errors: SchemaError[], payload: unknown): string {
  const name = normalise(ref).slice(SCHEMA_BASE.length);
  return [
    `${origin}: payload does not match ${name} (${errors.length} error${errors.length === 1 ? '' : 's'})`,
    ...errors.map((e) => `  at ${e.path || '/'}: ${e.message}`),
    `  payload: ${preview(payload)}`,
  ].join('\n');
}

/**
 * Validates `payload` against `ref` (`https://hubcheck.dev/schemas/<file>#/$defs/<name>`, or the part after the base).
 * `origin` names where the payload came from, e.g. `MQTT $shadow/operation/result/ABC/dev1` or `HTTP POST /device/publish`.
 */
export function validatePayload(ref: string, payload: unknown, origin: string): ValidationResult {
  const fn = validator(ref);
  if (fn(payload)) return { ok: true };
  const seen = new Set<string>();
  const errors: SchemaError[] = [];
  for (const e of fn.errors ?? []) {
    const error = { path: e.instancePath, message: describe(e) };
    const key = `${error.path}\u0000${error.message}`;
    if (!seen.has(key)) { seen.add(key); errors.push(error); }
  }
  return { ok: false, errors, text: formatErrors(ref, origin, errors, payload) };
}

/** Like validatePayload, but throws an Error whose message is the readable text. */
export function assertPayload(ref: string, payload: unknown, origin: string): void {
  const result = validatePayload(ref, payload, origin);
  if (!result.ok) throw new Error(result.text);
}

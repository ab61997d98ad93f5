/** Public entry of the schema module: payload validation against the protocol schemas and the shadow limits. */
export { validatePayload, assertPayload, formatErrors, schemaRegistry, schemaRefs, definitionNames, SCHEMA_FILES, SCHEMA_BASE } from './registry.js';
export type { SchemaError, ValidationResult } from './registry.js';
export { shadowDepth, shadowBytes, checkShadowSize, SHADOW_MAX_DEPTH, SHADOW_MAX_BYTES } from './shadow-limits.js';
export type { SizeCheck } from './shadow-limits.js';

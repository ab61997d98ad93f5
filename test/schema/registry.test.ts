/** The registry compiles every schema once under strict Ajv, resolves every definition, and explains failures with origin, path and payload. */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import {
  SCHEMA_BASE, SCHEMA_FILES, assertPayload, definitionNames, schemaRefs, schemaRegistry, validatePayload,
} from '../../src/schema/index.js';
import type { RunResult } from '../../src/report/model.js';
import { mixedTests, run } from '../report/fixtures.js';

const load = (file: string) => JSON.parse(readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('schema registry', () => {
  it('compiles all schemas into one strict Ajv instance without coercion, defaults or removal', () => {
    const ajv = schemaRegistry();
    expect(schemaRegistry()).toBe(ajv);
    expect(ajv.opts).toMatchObject({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false });
    for (const ref of schemaRefs()) expect(ajv.getSchema(ref), ref).toBeTypeOf('function');
  });

  it('each file is a 2020-12 schema with its hubcheck $id and a title, and every file is registered', () => {
    for (const file of SCHEMA_FILES) {
      const s = load(file);
      expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(s.$id).toBe(SCHEMA_BASE + file);
      expect(typeof s.title).toBe('string');
      expect(typeof s.description).toBe('string');
    }
    const onDisk = readdirSync(new URL('../../schemas/', import.meta.url)).filter((f) => f.endsWith('.schema.json') && f !== 'target.schema.json');
    expect(onDisk.sort()).toEqual([...SCHEMA_FILES].sort());
  });

  it('every file compiles on its own under strict mode (no unknown keywords, no loose types)', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true, validateFormats: false });
    for (const file of SCHEMA_FILES) ajv.addSchema(load(file));
    for (const file of SCHEMA_FILES) expect(() => ajv.getSchema(SCHEMA_BASE + file), file).not.toThrow();
  });

  it('a strict instance refuses what these schemas avoid, so strictness is real', () => {
    const ajv = new Ajv2020({ strict: true });
    expect(() => ajv.compile({ type: 'object', requried: ['x'] })).toThrow(/unknown keyword/);
  });

  it('exposes the message definitions callers need', () => {
    expect(definitionNames('shadow.schema.json')).toEqual(expect.arrayContaining(
      ['getRequest', 'updateRequest', 'deleteRequest', 'getReply', 'updateReply', 'versionConflictReply', 'delta', 'document']));
    expect(definitionNames('ota.schema.json')).toEqual(expect.arrayContaining(
      ['reportVersion', 'reportVersionRsp', 'updateFirmware', 'reportProgress', 'reportDownloading', 'reportBurning', 'reportDone', 'reportFail']));
    expect(definitionNames('cloud-api.schema.json')).toEqual(expect.arrayContaining(
      ['envelope', 'errorResponse', 'CreateProductRequest', 'DescribeDeviceShadowResponse', 'UpdateDevicesEnableStateRequest']));
  });

  it('accepts short and full references alike and refuses unknown ones', () => {
    const msg = { type: 'get', clientToken: 't-1' };
    expect(validatePayload('shadow.schema.json#/$defs/getRequest', msg, 'test')).toEqual({ ok: true });
    expect(validatePayload(`${SCHEMA_BASE}shadow.schema.json#/$defs/getRequest`, msg, 'test')).toEqual({ ok: true });
    expect(() => validatePayload('shadow.schema.json#/$defs/nope', msg, 'test')).toThrow(/unknown schema reference/);
  });
});

describe('error text', () => {
  const origin = 'MQTT $shadow/operation/result/ABC/dev1';
  const bad = { type: 'update', result: 0, timestamp: 1, clientToken: 'c', extra: 1, payload: { state: {}, metadata: {}, version: '2', timestamp: 1 } };

  it('names the origin, the schema, each instance path and message, and shows the payload', () => {
    const r = validatePayload('shadow.schema.json#/$defs/updateReply', bad, origin);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(expect.arrayContaining([
      { path: '', message: 'has unexpected property "extra"' },
      { path: '/payload/version', message: 'must be integer' },
    ]));
    const lines = r.text.split('\n');
    expect(lines[0]).toBe(`${origin}: payload does not match shadow.schema.json#/$defs/updateReply (2 errors)`);
    expect(r.text).toContain('  at /: has unexpected property "extra"');
    expect(r.text).toContain('  at /payload/version: must be integer');
    expect(lines.at(-1)).toBe(`  payload: ${JSON.stringify(bad)}`);
  });

  it('truncates long payloads', () => {
    const r = validatePayload('ota.schema.json#/$defs/reportVersion', { type: 'x', pad: 'y'.repeat(5000) }, 'HTTP POST /device/publish');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.text).toMatch(/^HTTP POST \/device\/publish: /);
    expect(r.text.length).toBeLessThan(1500);
    expect(r.text).toMatch(/… \(\d+ chars\)$/);
  });

  it('assertPayload throws that same text and passes valid payloads', () => {
    expect(() => assertPayload('shadow.schema.json#/$defs/updateReply', bad, origin)).toThrow(/^MQTT \$shadow\/operation\/result\/ABC\/dev1: .*\n {2}at \/payload\/version: must be integer/s);
    expect(() => assertPayload('ntp.schema.json#/$defs/getTimeRequest', { type: 'get', resource: ['time'] }, 'MQTT $sys/operation/P/d')).not.toThrow();
  });
});

describe('results.schema.json', () => {
  const ref = 'results.schema.json';

  it('accepts the RunResult the report writers use, with and without requirements/coverage', () => {
    const result = run(mixedTests);
    const r = validatePayload(ref, JSON.parse(JSON.stringify(result)), 'results.json');
    expect(r.ok, r.ok ? '' : r.text).toBe(true);
    const extended = {
      ...result,
      requirements: [{ id: 'AUTH-003', verdict: 'fail', level: 'must', area: 'auth', tests: ['[AUTH-003] expired signature is refused'] }],
      coverage: [{ area: 'auth', requirements: 4, tested: 2, passed: 1, failed: 1, untestedMust: ['AUTH-016'] }],
    };
    const r2 = validatePayload(ref, extended, 'results.json');
    expect(r2.ok, r2.ok ? '' : r2.text).toBe(true);
    expect(validatePayload(ref, { ...extended, requirements: [{ ...extended.requirements[0], verdict: 'error' }] }, 'results.json').ok).toBe(false);
  });

  it('has exactly the top-level fields of RunResult', () => {
    const fields: Record<keyof RunResult, true> = {
      runId: true, startedAt: true, finishedAt: true, hubcheckVersion: true, target: true, summary: true, areas: true, tests: true,
      requirements: true, coverage: true, probe: true, findings: true, targetLog: true,
    };
    const props = Object.keys(load('results.schema.json').properties as object);
    expect(props.sort()).toEqual(Object.keys(fields).sort());
  });
});

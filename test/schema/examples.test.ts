/** Every documented JSON example (copied into examples/examples.json) satisfies the schema definition the mapping table assigns it. */
import { describe, it, expect } from 'vitest';
import { validatePayload } from '../../src/schema/registry.js';
import { MAPPED_EXAMPLES } from './example-map.js';
import { readCatalogue } from './examples/catalogue.js';

const catalogue = new Map(readCatalogue().map((e) => [e.id, e]));

describe('documented examples', () => {
  it('the catalogue holds exactly the mapped examples', () => {
    const mapped = MAPPED_EXAMPLES.map((m) => m.id);
    expect(new Set(mapped).size).toBe(mapped.length);
    expect([...catalogue.keys()].sort()).toEqual([...mapped].sort());
  });

  for (const m of MAPPED_EXAMPLES) {
    const entry = catalogue.get(m.id);
    const label = `${m.id} (${entry?.source ?? m.heading}) -> ${m.ref}`;
    if (!m.deviation) {
      it(`${label} validates`, () => {
        expect(entry, `mapped example ${m.id} is missing from examples.json`).toBeDefined();
        const result = validatePayload(m.ref, entry!.value, entry!.source);
        expect(result.ok, result.ok ? '' : result.text).toBe(true);
      });
    } else {
      const { paths, why } = m.deviation;
      it(`${label} breaks the document's own rule only where known (${why})`, () => {
        expect(entry, `mapped example ${m.id} is missing from examples.json`).toBeDefined();
        const result = validatePayload(m.ref, entry!.value, entry!.source);
        expect(result.ok).toBe(false);
        if (!result.ok) expect([...new Set(result.errors.map((e) => e.path))].sort()).toEqual([...paths].sort());
      });
    }
  }
});

/** Per-topic unions a caller uses when it does not know which message arrived. */
const UNIONS: { ref: string; ids: string[] }[] = [
  { ref: 'shadow.schema.json#/$defs/resultMessage', ids: ['shadow-get-reply', 'shadow-update-reply', 'shadow-5005-reply', 'shadow-clear-desired-reply', 'shadow-delta'] },
  { ref: 'shadow.schema.json#/$defs/reply', ids: ['shadow-get-reply', 'shadow-update-reply', 'shadow-5005-reply', 'shadow-clear-desired-reply'] },
  { ref: 'ota.schema.json#/$defs/reportMessage', ids: ['ota-report-version', 'ota-downloading', 'ota-burning', 'ota-done', 'ota-fail', 'seed-ota-fail'] },
  { ref: 'ota.schema.json#/$defs/updateMessage', ids: ['ota-report-version-rsp'] },
  { ref: 'http-gateway.schema.json#/$defs/publishAnswer', ids: ['gateway-publish-answer', 'gateway-error', 'seed-gateway-publish-answer'] },
  { ref: 'http-gateway.schema.json#/$defs/registerAnswer', ids: ['gateway-register-answer', 'gateway-error'] },
  { ref: 'log.schema.json#/$defs/reportLogAnswer', ids: ['log-reportlog-answer', 'gateway-error'] },
  { ref: 'cloud-api.schema.json#/$defs/envelope', ids: ['api-CreateDevice-response', 'api-DescribeDevices-response', 'rrpc-api-response'] },
];

describe('topic unions accept every documented message of their topic', () => {
  for (const u of UNIONS) {
    it(u.ref, () => {
      for (const id of u.ids) {
        const entry = catalogue.get(id);
        expect(entry, id).toBeDefined();
        const r = validatePayload(u.ref, entry!.value, entry!.source);
        expect(r.ok, `${id}: ${r.ok ? '' : r.text}`).toBe(true);
      }
    });
  }

  it('a shadow reply with result 5005 is held to the 5005 shape, and other codes to the error shape', () => {
    const r = validatePayload('shadow.schema.json#/$defs/resultMessage', { type: 'update', result: 5005, timestamp: 1, clientToken: 'c' }, 'test');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual({ path: '', message: 'is missing required property "payload"' });
    expect(validatePayload('shadow.schema.json#/$defs/resultMessage', { type: 'update', result: 1, timestamp: 1, clientToken: 'c' }, 'test').ok).toBe(true);
  });

  it('formats are checked (uri, date-time)', () => {
    const fw = { file_size: 1, md5sum: '0'.repeat(32), type: 'update_firmware', url: 'http://h/f w', version: '1' };
    expect(validatePayload('ota.schema.json#/$defs/updateFirmware', fw, 'test').ok).toBe(false);
    expect(validatePayload('ota.schema.json#/$defs/updateFirmware', { ...fw, url: 'http://127.0.0.1:8080/fw.bin' }, 'test').ok).toBe(true);
  });
});

describe('JSON carried in cloud API strings', () => {
  it('UpdateDeviceShadow State and the Data of both shadow actions hold valid shadow JSON', () => {
    const get = (id: string) => catalogue.get(id)?.value as { State?: string; Response?: { Data?: string } } | undefined;
    const state = JSON.parse(get('api-UpdateDeviceShadow-request')?.State ?? 'null') as unknown;
    const checks: [string, unknown][] = [
      ['shadow.schema.json#/$defs/apiState', state],
      ['shadow.schema.json#/$defs/apiData', JSON.parse(get('api-UpdateDeviceShadow-response')?.Response?.Data ?? 'null')],
      ['shadow.schema.json#/$defs/apiData', JSON.parse(get('api-DescribeDeviceShadow-response')?.Response?.Data ?? 'null')],
    ];
    for (const [ref, value] of checks) {
      const r = validatePayload(ref, value, 'cloud API string');
      expect(r.ok, r.ok ? '' : r.text).toBe(true);
    }
  });
});

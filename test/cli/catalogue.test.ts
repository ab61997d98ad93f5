// `hubcheck list` and `hubcheck explain` work offline from the catalogue and the suites' static metadata.
import { describe, expect, it } from 'vitest';
import { hubcheck } from './helpers.js';

describe('catalogue commands', () => {
  it('explains a requirement with its statement, source, level and tests', async () => {
    const r = await hubcheck(['explain', 'AUTH-001']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/AUTH-001\s+HMAC-SHA256 signed login is accepted/);
    expect(r.stdout).toMatch(/level\s+MUST/);
    expect(r.stdout).toMatch(/source\s+protocol\.md §1\.4/);
    expect(r.stdout).toMatch(/tests\s+suites\/auth\.test\.ts/);
    expect(r.stdout).toMatch(/last run\s+/);
  }, 120_000);

  it('lists untested requirements of one area', async () => {
    const r = await hubcheck(['list', '--area', 'wildcards', '--untested']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^WILD-001 /m);
    expect(r.stdout).toMatch(/requirement\(s\) in wildcards without a test/);
  }, 120_000);

  it('refuses an unknown id or area with a hint', async () => {
    const id = await hubcheck(['explain', 'AUTH-9999']);
    expect(id.code).toBe(2);
    expect(id.stderr).toMatch(/no requirement "AUTH-9999"; ids look like AUTH-/);
    const area = await hubcheck(['list', '--area', 'nope']);
    expect(area.code).toBe(2);
    expect(area.stderr).toMatch(/--area "nope" is not an area; use one of: auth/);
  }, 120_000);
});

/** HTML report: self-contained, escaped, complete, failures first. */
import { describe, it, expect } from 'vitest';
import { toHtml } from '../../src/report/html.js';
import { mixedTests, run, test } from './fixtures.js';

const html = toHtml(run(mixedTests));
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

describe('toHtml', () => {
  it('is one document with no external assets', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script[^>]*\bsrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html.match(/<script\b/g)).toHaveLength(1);
  });

  it('escapes evidence, errors and reasons', () => {
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ]]&gt;');
    expect(html).toContain('CONNECT clientId=a&amp;b');
    expect(html).toContain('profile &quot;basic&quot; has no &lt;shadow&gt; &amp; no delta');
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(html).toContain('\u2400'); // NUL shown as a visible symbol rather than dropped
  });

  it('includes every test name and requirement id', () => {
    for (const t of mixedTests) {
      expect(html).toContain(escape(t.name.replace(/^\[[^\]]*\]\s*/, '')));
      for (const r of t.requirements) expect(html).toContain(`<code class="req">${r}</code>`);
    }
  });

  it('shows the header, the verdict banner and the area table', () => {
    expect(html).toContain('class="banner fail"');
    expect(html).toContain('local-aedes');
    expect(html).toContain('2026-11-26T15-32-17-abc123');
    expect(html).toContain('drop-puback');
    for (const a of ['auth', 'ota', 'shadow']) expect(html).toContain(`<a href="#area-${a}">${a}</a>`);
    expect(toHtml(run([test({ name: '[A-1] ok', verdict: 'pass' })]))).toContain('class="banner pass"');
  });

  it('puts failures first and expanded, passes collapsed', () => {
    const auth = html.slice(html.indexOf('id="area-auth"'));
    expect(auth.indexOf('expired signature')).toBeLessThan(auth.indexOf('valid signature is accepted'));
    expect(html).toMatch(/<details class="test v-fail" data-verdict="fail" open>/);
    expect(html).toMatch(/<details class="test v-error" data-verdict="error" open>/);
    expect(html).toMatch(/<details class="test v-pass" data-verdict="pass">/);
    expect(html.indexOf('id="area-shadow"')).toBeGreaterThan(html.indexOf('id="area-ota"'));
  });

  it('keeps the filter hidden until JS reveals it', () => {
    expect(html).toMatch(/<div class="filter" id="filter" role="search" hidden>/);
    expect(html).toContain('bar.hidden=false');
    const js = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(() => new Function(js)).not.toThrow(); // at least syntactically valid
  });
});

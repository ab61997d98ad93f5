// The certificate page and the badge as a person sees them: rendered offline in Debian's Chromium (Playwright), with
// screenshots kept under reports/ (git-ignored); the badge is well-formed SVG to a strict XML parser and to Chromium's.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AREAS } from '../../specs/requirements/index.js';
import { badgeSvg } from '../../src/certify/badge.js';
import { ROOT } from '../../src/runner/paths.js';
import { parseXml } from '../report/xml-check.js';
import { keyPair, MISSING, syntheticBundle, syntheticRun, tmp } from './fixtures.js';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const required = process.env['CI'] === 'true';
const ARTEFACTS = path.join(ROOT, 'reports', 'test-artefacts', 'certify');

describe('the badge', () => {
  it('is well-formed SVG with its verdict as text, for both results', () => {
    for (const result of ['certified', 'not-certified'] as const) {
      const svg = badgeSvg({ result, profile: 'tencent-hub' });
      const root = parseXml(svg); // throws on anything a strict XML parser would reject
      expect(root.name).toBe('svg');
      expect(root.attrs['xmlns']).toBe('http://www.w3.org/2000/svg');
      expect(root.attrs['data-result']).toBe(result);
      const texts = root.children.filter((c) => c.name === 'g').flatMap((g) => g.children.filter((c) => c.name === 'text').map((t) => t.text));
      expect(texts).toEqual(['hubcheck', result === 'certified' ? 'certified · tencent-hub' : 'not certified · tencent-hub']);
    }
  });
});

describe.skipIf(!required && !existsSync(CHROMIUM))('in Chromium', () => {
  let browser: Browser;
  let certified: string;
  let refused: string;

  beforeAll(async () => {
    const dir = tmp();
    const { key } = keyPair(dir);
    certified = (await syntheticBundle(path.join(dir, 'certified'), key)).dir;
    refused = (await syntheticBundle(path.join(dir, 'refused'), key, { result: syntheticRun({ 'AUTH-003': 'fail', 'ACL-002': 'fail', 'LOG-003': 'fail' }) })).dir;
    mkdirSync(ARTEFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => { await browser?.close(); });

  async function open(file: string, shot?: string) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const fetched: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith('file:')) fetched.push(r.url()); });
    await page.goto(pathToFileURL(file).href);
    if (shot) await page.screenshot({ path: path.join(ARTEFACTS, shot), fullPage: true });
    return { page, fetched };
  }

  it('shows a certified hub: verdict, profile, suite, areas with required and optional counts, what is missing, the key, how to verify', { timeout: 60_000 }, async () => {
    const { page, fetched } = await open(path.join(certified, 'certificate.html'), 'certificate-certified.png');
    expect(await page.locator('main').getAttribute('data-result')).toBe('certified');
    expect(await page.locator('#verdict').innerText()).toBe('CERTIFIED');
    expect(await page.locator('#profile').innerText()).toBe('tencent-hub');
    expect(await page.locator('#hub').innerText()).toBe('synthetic hub');
    const identity = await page.locator('#identity').innerText();
    expect(identity).toMatch(/Suite digest\s+sha256:[0-9a-f]{64}/);
    expect(identity).toMatch(/Judged by\s+hubcheck \d/);
    const fingerprint = JSON.parse(readFileSync(path.join(certified, 'manifest.json'), 'utf8')).signer.fingerprint as string;
    expect(await page.locator('#fingerprint').innerText()).toContain(fingerprint);
    expect(await page.locator('#areas tbody tr').count(), 'a row per area of the catalogue').toBe(new Set(Object.values(AREAS)).size);
    expect(await page.locator('#areas thead').innerText()).toMatch(/required passed[\s\S]*optional passed/);
    expect(await page.locator('#missing li').evaluateAll((li) => li.map((l) => l.getAttribute('data-capability')))).toEqual(MISSING);
    expect(await page.locator('#verify pre').innerText()).toMatch(/hubcheck verify BUNDLE_DIR --key vendor\.pub/);
    expect(await page.locator('#reasons').count()).toBe(0);
    const box = await page.locator('main').boundingBox();
    expect(box!.width).toBeGreaterThan(600);
    expect(fetched).toEqual([]); // one self-contained file
    await page.close();
  });

  it('shows a hub that is not certified with the failed MUSTs named, and the failed SHOULD as a warning', { timeout: 60_000 }, async () => {
    const { page, fetched } = await open(path.join(refused, 'certificate.html'), 'certificate-not-certified.png');
    expect(await page.locator('#verdict').innerText()).toBe('NOT CERTIFIED');
    expect(await page.locator('.failed-musts li').evaluateAll((li) => li.map((l) => l.getAttribute('data-id')))).toEqual(['AUTH-003', 'ACL-002']);
    expect(await page.locator('#reasons').innerText()).toMatch(/2 required requirement\(s\) failed: AUTH-003, ACL-002/);
    expect(await page.locator('.warnings li').evaluateAll((li) => li.map((l) => l.getAttribute('data-id')))).toEqual(['LOG-003']);
    expect(await page.locator('#areas tr.bad').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-area')))).toEqual(['auth', 'acl']);
    expect(fetched).toEqual([]);
    await page.close();
  });

  it('renders the badge as SVG that Chromium parses without error, sized and readable', { timeout: 60_000 }, async () => {
    for (const [dir, result] of [[certified, 'certified'], [refused, 'not-certified']] as const) {
      const { page } = await open(path.join(dir, 'badge.svg'));
      const svg = readFileSync(path.join(dir, 'badge.svg'), 'utf8');
      // DOMParser with the SVG type reports any XML error as a <parsererror> element.
      const parsed = await page.evaluate((text) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        return { errors: doc.getElementsByTagName('parsererror').length, root: doc.documentElement.namespaceURI };
      }, svg);
      expect(parsed).toEqual({ errors: 0, root: 'http://www.w3.org/2000/svg' });
      const box = await page.locator('svg').boundingBox();
      expect(box!.height).toBe(20);
      expect(box!.width).toBeGreaterThan(100);
      expect(await page.locator('svg').getAttribute('data-result')).toBe(result);
      await page.close();
      // As a README shows it: an <img> of the file, drawn (a broken image has no natural width).
      const host = path.join(tmp(), 'badge.html');
      writeFileSync(host, `<!doctype html><body style="margin:8px;background:#fff"><img id="b" src="${pathToFileURL(path.join(dir, 'badge.svg')).href}"></body>`);
      const shown = await open(host);
      await shown.page.waitForFunction(() => (document.getElementById('b') as HTMLImageElement).complete);
      expect(await shown.page.evaluate(() => (document.getElementById('b') as HTMLImageElement).naturalWidth)).toBeGreaterThan(100);
      await shown.page.locator('#b').screenshot({ path: path.join(ARTEFACTS, `badge-${result}.png`) });
      await shown.page.close();
    }
  });
});

/** Renders a RunResult as one self-contained, offline HTML page (inline CSS/JS, fully readable without JS). */
import type { AreaSummary, Evidence, RunResult, TestResult } from './model.js';
import { failuresFirst, formatDuration, isBad, titleWithoutIds } from './format.js';
import { probeRows } from './probe-rows.js';

/** Escapes for both text and quoted attributes; C0 controls become visible Control Pictures (␀, ␛…). */
function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\x7F/g, '\u2421');
}

const VERDICT_LABEL: Record<TestResult['verdict'], string> = {
  pass: 'PASS', fail: 'FAIL', error: 'ERROR', 'not-applicable': 'N/A',
};

// Long evidence stays collapsed even on failures so one chatty log cannot bury the page.
const AUTO_OPEN_EVIDENCE_LINES = 40;

const areaId = (area: string): string => 'area-' + (area.replace(/[^A-Za-z0-9_-]+/g, '-') || 'none');
const areaLabel = (area: string): string => area || '(no area)';

function evidenceBlock(e: Evidence, open: boolean): string {
  const n = e.lines.length;
  return `<details class="ev"${open ? ' open' : ''}><summary><span class="kind">${esc(e.kind)}</span> ${esc(e.title)} <span class="muted">· ${n} line${n === 1 ? '' : 's'}</span></summary><pre>${esc(e.lines.join('\n'))}</pre></details>`;
}

function testBlock(t: TestResult): string {
  const bad = isBad(t);
  const reqs = t.requirements.map((r) => `<code class="req">${esc(r)}</code>`).join(' ');
  const body: string[] = [`<p class="loc muted">${esc(t.file)} › ${esc(t.fullName)}</p>`];
  if (t.error) {
    body.push(`<pre class="error">${esc(t.error.message)}</pre>`);
    if (t.error.stack) body.push(`<details class="stack"><summary>Stack trace</summary><pre>${esc(t.error.stack)}</pre></details>`);
  }
  if (t.reason) body.push(`<p class="reason"><strong>Not applicable:</strong> ${esc(t.reason)}</p>`);
  for (const e of t.evidence) body.push(evidenceBlock(e, bad && e.lines.length <= AUTO_OPEN_EVIDENCE_LINES));
  return `<details class="test v-${t.verdict}" data-verdict="${t.verdict}"${bad ? ' open' : ''}>
<summary><span class="badge v-${t.verdict}">${VERDICT_LABEL[t.verdict]}</span> ${reqs} <span class="name">${esc(titleWithoutIds(t))}</span> <span class="dur muted">${formatDuration(t.durationMs)}</span></summary>
<div class="body">${body.join('\n')}</div>
</details>`;
}

function areaRow(a: AreaSummary): string {
  const cls = a.failed + a.errors > 0 ? ' class="bad"' : '';
  return `<tr${cls}><th scope="row"><a href="#${areaId(a.area)}">${esc(areaLabel(a.area))}</a></th><td>${a.tests}</td><td>${a.passed}</td><td>${a.failed}</td><td>${a.errors}</td><td>${a.notApplicable}</td></tr>`;
}

function areaSection(area: string, tests: TestResult[]): string {
  const bad = tests.filter(isBad).length;
  const note = `${tests.length} test${tests.length === 1 ? '' : 's'}${bad ? `, <span class="bad-text">${bad} failing</span>` : ''}`;
  return `<section class="area" id="${areaId(area)}"><h3>${esc(areaLabel(area))} <span class="muted small">${note}</span></h3>
${failuresFirst(tests).map(testBlock).join('\n')}
</section>`;
}

function header(r: RunResult): string {
  const s = r.summary;
  const bad = s.failed + s.errors > 0;
  const state = bad ? 'fail' : s.tests === 0 ? 'empty' : 'pass';
  const verdict = bad ? `FAIL — ${s.failed} failed, ${s.errors} errors` : s.tests === 0 ? 'NO TESTS RAN' : 'PASS — all applicable tests passed';
  const meta: Array<[string, string]> = [
    ['Target', r.target.name], ['Launcher', r.target.launcher], ['Profile', r.target.profile],
    ['Run id', r.runId], ['Started', r.startedAt], ['Finished', r.finishedAt],
    ['Duration', formatDuration(s.durationMs)], ['hubcheck', r.hubcheckVersion],
    ...Object.entries(r.target.endpoints).map(([k, v]): [string, string] => [`Endpoint ${k}`, v]),
  ];
  if (r.target.faults?.length) meta.push(['Faults injected', r.target.faults.join(', ')]);
  return `<header>
<div class="banner ${state}" role="status">${esc(verdict)}</div>
<h1>hubcheck conformance report <span class="muted">· ${esc(r.target.name)} · ${esc(r.target.profile)}</span></h1>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>
</header>`;
}

function counts(r: RunResult): string {
  const s = r.summary;
  const card = (label: string, n: number, cls: string) => `<div class="card ${n > 0 ? cls : ''}"><div class="n">${n}</div><div class="label">${label}</div></div>`;
  return `<section class="cards" aria-label="Summary">${card('tests', s.tests, '')}${card('passed', s.passed, 'v-pass')}${card('failed', s.failed, 'v-fail')}${card('errors', s.errors, 'v-error')}${card('not applicable', s.notApplicable, 'v-not-applicable')}</section>`;
}

/** Requirement coverage per area, and the MUSTs no test exercised (collapsed: the list can be long). */
function coverageSection(r: RunResult): string {
  const rows = r.coverage ?? [];
  if (rows.length === 0) return '';
  const untested = rows.filter((c) => c.untestedMust.length);
  const total = untested.reduce((n, c) => n + c.untestedMust.length, 0);
  return `<section id="coverage"><h2>Requirement coverage</h2>
<table class="areas"><thead><tr><th scope="col">Area</th><th scope="col">Applicable</th><th scope="col">Tested</th><th scope="col">Passed</th><th scope="col">Failed</th></tr></thead>
<tbody>${rows.map((c) => `<tr${c.failed ? ' class="bad"' : ''}><td>${esc(c.area)}</td><td>${c.requirements}</td><td>${c.tested}</td><td>${c.passed}</td><td>${c.failed}</td></tr>`).join('\n')}</tbody></table>
${total ? `<details><summary>${total} MUST requirement(s) without a test</summary><ul>${untested.map((c) => `<li><strong>${esc(c.area)}</strong>: ${c.untestedMust.map(esc).join(' ')}</li>`).join('')}</ul></details>` : ''}
</section>`;
}

/** The probe's measurements, the claims they contradict (findings), and a started hub's output. */
function probeSection(r: RunResult): string {
  const parts: string[] = [];
  const p = r.probe;
  if (p) {
    const rows = probeRows(p, '≥ ');
    const findings = r.findings ?? [];
    parts.push(`<section id="probe"><h2>Probe <span class="muted small">${formatDuration(p.durationMs)}</span></h2>
${findings.length ? `<p class="bad-text"><strong>${findings.length} claim(s) contradicted:</strong></p><ul class="findings">${findings.map((f) => `<li><code>${esc(f.id)}</code> claimed ${esc(f.claim)}; measured: ${esc(f.measured)}</li>`).join('')}</ul>` : '<p>No claim of the target was contradicted.</p>'}
<table class="areas"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>
${p.notes.length ? `<ul class="muted">${p.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</section>`);
  }
  if (r.targetLog?.length) {
    parts.push(`<section id="target-log"><h2>Hub output</h2>${evidenceBlock({ kind: 'log', title: 'latest lines the hub wrote', lines: r.targetLog }, false)}</section>`);
  }
  return parts.join('\n');
}

export function toHtml(result: RunResult): string {
  const byArea = new Map<string, TestResult[]>();
  for (const t of result.tests) {
    const list = byArea.get(t.area);
    if (list) list.push(t);
    else byArea.set(t.area, [t]);
  }
  // Areas follow the summary table's (sorted) order, with any area missing from it appended.
  const order = [...new Set([...result.areas.map((a) => a.area), ...byArea.keys()])].filter((a) => byArea.has(a));
  // Failing areas first, like failing tests within an area.
  order.sort((a, b) => Number(!byArea.get(a)!.some(isBad)) - Number(!byArea.get(b)!.some(isBad)));
  const title = `hubcheck · ${result.target.name} · ${result.summary.failed + result.summary.errors > 0 ? 'FAIL' : 'PASS'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${header(result)}
<main>
${counts(result)}
<section><h2>Areas</h2>
<table class="areas"><thead><tr><th scope="col">Area</th><th scope="col">Tests</th><th scope="col">Passed</th><th scope="col">Failed</th><th scope="col">Errors</th><th scope="col">N/A</th></tr></thead>
<tbody>${result.areas.map(areaRow).join('\n')}</tbody></table>
</section>
${coverageSection(result)}
${probeSection(result)}
<section id="tests"><h2>Tests</h2>
<div class="filter" id="filter" role="search" hidden>
<input type="search" id="q" placeholder="Filter by name, requirement, file, error or evidence…" aria-label="Filter tests">
<label><input type="checkbox" id="only-bad"> failures and errors only</label>
<span id="shown" class="muted" aria-live="polite"></span>
</div>
${order.map((a) => areaSection(a, byArea.get(a)!)).join('\n')}
</section>
</main>
<script>${JS}</script>
</body>
</html>
`;
}

const CSS = `
:root{--bg:#f7f8fa;--fg:#1d2330;--muted:#667085;--card:#fff;--line:#e2e5ea;--code:#f0f2f5;
--pass:#1a7f37;--pass-bg:#dafbe1;--fail:#c62828;--fail-bg:#ffe3e3;--error:#b35900;--error-bg:#fff0d9;--na:#57606a;--na-bg:#eaeef2}
@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--fg:#e6e8eb;--muted:#9aa4b2;--card:#171b22;--line:#2a303a;--code:#1f242d;
--pass:#4ac26b;--pass-bg:#12301c;--fail:#ff6b6b;--fail-bg:#3a1616;--error:#f0a44b;--error-bg:#3a2810;--na:#9aa4b2;--na-bg:#242a33}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header,main{max-width:1100px;margin:0 auto;padding:0 20px}
h1{font-size:20px;margin:16px 0 8px}h2{font-size:16px;margin:28px 0 10px}h3{font-size:15px;margin:20px 0 8px}
.muted{color:var(--muted)}.small{font-size:12px;font-weight:normal}.bad-text{color:var(--fail)}
.banner{margin-top:20px;padding:12px 16px;border-radius:8px;font-weight:700;font-size:16px;color:#fff;background:var(--na)}
.banner.pass{background:var(--pass)}.banner.fail{background:var(--fail)}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:6px 20px;margin:8px 0 0}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}.meta dd{margin:0;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:20px}
.card{flex:1 1 120px;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .n{font-size:24px;font-weight:700}.card .label{color:var(--muted)}
.card.v-pass .n{color:var(--pass)}.card.v-fail .n{color:var(--fail)}.card.v-error .n{color:var(--error)}
table.areas{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px}
.areas th,.areas td{padding:6px 12px;border-bottom:1px solid var(--line);text-align:right}
.areas th:first-child{text-align:left}.areas tr.bad th a{color:var(--fail)}
a{color:inherit}
.filter{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:0 0 10px}
.filter input[type=search]{flex:1 1 300px;padding:7px 10px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);font:inherit}
details.test{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--na);border-radius:6px;margin:6px 0}
details.test.v-pass{border-left-color:var(--pass)}details.test.v-fail{border-left-color:var(--fail)}details.test.v-error{border-left-color:var(--error)}
details.test>summary{cursor:pointer;padding:7px 10px;display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
details.test .name{flex:1 1 auto}
.body{padding:0 12px 10px}
.badge{font-size:11px;font-weight:700;padding:1px 7px;border-radius:10px;min-width:44px;text-align:center}
.badge.v-pass{color:var(--pass);background:var(--pass-bg)}.badge.v-fail{color:var(--fail);background:var(--fail-bg)}
.badge.v-error{color:var(--error);background:var(--error-bg)}.badge.v-not-applicable{color:var(--na);background:var(--na-bg)}
code,pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code.req{background:var(--code);padding:1px 5px;border-radius:4px}
pre{background:var(--code);padding:8px 10px;border-radius:6px;overflow:auto;max-height:480px;white-space:pre-wrap;word-break:break-word;margin:6px 0}
pre.error{color:var(--fail);border-left:3px solid var(--fail)}
details.ev,details.stack{margin:4px 0}details.ev>summary,details.stack>summary{cursor:pointer}
.kind{font:11px ui-monospace,monospace;text-transform:uppercase;background:var(--code);padding:0 5px;border-radius:4px}
.loc{margin:2px 0 6px;font-size:12px;word-break:break-all}
@media print{.filter{display:none!important}pre{max-height:none}}
`;

// Progressive enhancement only: without JS every test is visible and the filter bar stays hidden.
const JS = `
(function(){
var bar=document.getElementById('filter'),q=document.getElementById('q'),bad=document.getElementById('only-bad'),shown=document.getElementById('shown');
var tests=Array.prototype.slice.call(document.querySelectorAll('details.test'));
var areas=Array.prototype.slice.call(document.querySelectorAll('section.area'));
var texts=tests.map(function(t){return t.textContent.toLowerCase();});
function apply(){
var terms=q.value.toLowerCase().split(/\\s+/).filter(Boolean),onlyBad=bad.checked,n=0;
tests.forEach(function(t,i){var v=t.getAttribute('data-verdict');
var ok=(!onlyBad||v==='fail'||v==='error')&&terms.every(function(s){return texts[i].indexOf(s)>=0;});
t.hidden=!ok;if(ok)n++;});
areas.forEach(function(a){a.hidden=!a.querySelector('details.test:not([hidden])');});
shown.textContent=n+' of '+tests.length+' tests shown';}
q.addEventListener('input',apply);bad.addEventListener('change',apply);bar.hidden=false;apply();
})();
`;

/**
 * The certificate a person reads: one self-contained HTML page (inline CSS, no script, nothing fetched) with the
 * hub, the profile, the date, the suite, the verdict per area, what the hub declared missing, the signing key's
 * fingerprint and how to verify the bundle it sits in.
 */
import { REQUIREMENTS, type Requirement } from '../../specs/requirements/index.js';
import { DIGEST_RECIPE } from './identity.js';
import type { CertificationPredicate } from './predicate.js';
import type { Tally } from './verdict.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const titleOf = (id: string): string => (REQUIREMENTS as Record<string, Requirement>)[id]?.title ?? '';

function requirementList(ids: readonly string[], cls: string): string {
  return `<ul class="${cls}">${ids.map((id) => `<li data-id="${esc(id)}"><code>${esc(id)}</code> ${esc(titleOf(id))}</li>`).join('')}</ul>`;
}

const cell = (t: Tally): string => `${t.passed}/${t.total}`;

export interface SignerInfo { fingerprint: string; type: string }

export function certificateHtml(p: CertificationPredicate, signer: SignerInfo): string {
  const certified = p.result === 'certified';
  const hub = p.hub;
  const identity: [string, string][] = [
    ['Hub', hub.name],
    ...(hub.version ? [['Hub version', hub.version] as [string, string]] : []),
    ['Launched as', hub.launcher],
    ...(hub.image ? [['Image', hub.image.ref] as [string, string]] : []),
    ...(hub.image?.id ? [['Image id', hub.image.id] as [string, string]] : []),
    ...(hub.image?.repoDigests?.length ? [['Image digests', hub.image.repoDigests.join('\n')] as [string, string]] : []),
    ['Profile', p.profile],
    ['Date', p.date],
    ['Judged by', `hubcheck ${p.suite.hubcheckVersion}`],
    ['Suite digest', `${p.suite.digest} (${p.suite.files} files of ${p.suite.folders.join(', ')})`],
    ['Run', `${p.run.runId}, seed ${p.run.seed}, property cases ×${p.run.runsFactor}`],
    ['Signing key', `${signer.type}, fingerprint sha256:${signer.fingerprint}`],
  ];
  const areaRows = p.areas.map((a) => {
    const bad = a.required.failed + a.required.untested > 0;
    return `<tr data-area="${esc(a.area)}"${bad ? ' class="bad"' : ''}><th scope="row">${esc(a.area)}</th><td>${cell(a.required)}</td><td>${a.required.failed}</td><td>${a.required.untested}</td><td>${cell(a.optional)}</td><td>${a.optional.failed}</td><td>${a.notApplicable}</td></tr>`;
  }).join('\n');
  const t = p.totals;
  const missing = p.capabilities.missing;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hubcheck certificate: ${esc(hub.name)} ${certified ? 'certified' : 'not certified'} (${esc(p.profile)})</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #f3f1ea; margin: 0; padding: 2rem 1rem; }
main { max-width: 920px; margin: 0 auto; background: #fff; border: 1px solid #d8d3c4; border-top: 8px solid ${certified ? '#2e7d32' : '#c62828'}; padding: 2rem 2.5rem; }
.kicker { text-transform: uppercase; letter-spacing: .12em; font-size: .8rem; color: #6b665a; margin: 0; }
h1 { margin: .2rem 0 .4rem; font-size: 1.9rem; }
.verdict { display: inline-block; font-weight: 700; font-size: 1.25rem; letter-spacing: .06em; padding: .2rem .8rem; border-radius: 4px; color: #fff; background: ${certified ? '#2e7d32' : '#c62828'}; }
h2 { font-size: 1.1rem; border-bottom: 1px solid #e4dfd2; padding-bottom: .2rem; margin-top: 2rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: 0; }
dt { color: #6b665a; } dd { margin: 0; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: .25rem .6rem; border-bottom: 1px solid #eee9dd; }
th[scope=row], thead th:first-child { text-align: left; }
thead th { font-size: .85rem; color: #6b665a; font-weight: 600; }
tr.bad th, tr.bad td { color: #c62828; font-weight: 600; }
tfoot th, tfoot td { font-weight: 700; border-top: 2px solid #d8d3c4; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f7f5ef; border: 1px solid #e4dfd2; padding: .7rem; overflow-x: auto; }
.reasons li, .failed-musts li { color: #c62828; }
.muted { color: #6b665a; }
</style>
</head>
<body>
<main class="certificate" data-result="${p.result}">
<p class="kicker">hubcheck conformance certificate</p>
<h1 id="hub">${esc(hub.name)}</h1>
<p><span class="verdict" id="verdict">${certified ? 'CERTIFIED' : 'NOT CERTIFIED'}</span> <span class="muted">profile <strong id="profile">${esc(p.profile)}</strong> · ${esc(p.date)}</span></p>
<p>${certified
    ? `Every required (MUST) requirement of the profile that applies to this hub passed: ${t.required.passed} of ${t.required.total}; none was left untested and no test errored.`
    : 'This hub is not certified for the profile, for the reasons below.'}</p>
${certified ? '' : `<section id="reasons"><h2>Why not</h2><ul class="reasons">${p.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>
${p.failedMusts.length ? `<h3>Failed MUST requirements</h3>${requirementList(p.failedMusts, 'failed-musts')}` : ''}
${p.untestedMusts.length ? `<h3>MUST requirements no test proved</h3>${requirementList(p.untestedMusts, 'untested-musts')}` : ''}</section>`}
<section id="identity"><h2>What was judged, by what</h2><dl>
${identity.map(([k, v]) => `<dt>${esc(k)}</dt><dd${k === 'Signing key' ? ' id="fingerprint"' : ''}>${esc(v)}</dd>`).join('\n')}
</dl></section>
<section id="areas"><h2>Verdict per area</h2>
<table>
<thead><tr><th>area</th><th>required passed</th><th>required failed</th><th>required untested</th><th>optional passed</th><th>optional failed</th><th>not applicable</th></tr></thead>
<tbody>
${areaRows}
</tbody>
<tfoot><tr><th scope="row">all</th><td>${cell(t.required)}</td><td>${t.required.failed}</td><td>${t.required.untested}</td><td>${cell(t.optional)}</td><td>${t.optional.failed}</td><td>${t.notApplicable}</td></tr></tfoot>
</table>
<p class="muted">Required: MUST requirements (and DEVIATIONs from MQTT 3.1.1 the protocol makes). Optional: SHOULD and MAY; a failure there is a warning, not a refusal. Not applicable: the requirement needs a capability the hub does not offer.</p>
</section>
<section id="missing"><h2>Capabilities declared missing</h2>
${missing.length
    ? `<p>The profile ${esc(p.profile)} includes these capabilities; this hub does not offer them, so their requirements were not judged:</p><ul class="missing">${missing.map((c) => `<li data-capability="${esc(c)}"><code>${esc(c)}</code></li>`).join('')}</ul>`
    : '<p class="none">None: the hub offers every capability of the profile.</p>'}
${p.capabilities.extra.length ? `<p>Offered beyond the profile: ${p.capabilities.extra.map((c) => `<code>${esc(c)}</code>`).join(', ')}.</p>` : ''}
</section>
${p.warnings.length ? `<section id="warnings"><h2>Optional requirements that failed (warnings)</h2>${requirementList(p.warnings, 'warnings')}</section>` : ''}
${p.findings.length ? `<section id="findings"><h2>Claims the probe contradicted</h2><ul>${p.findings.map((f) => `<li><code>${esc(f.id)}</code> claimed ${esc(f.claim)}; measured ${esc(f.measured)}</li>`).join('')}</ul></section>` : ''}
<section id="verify"><h2>How to verify</h2>
<p>This page is one file of a signed bundle; on its own it proves nothing. With the bundle directory and the vendor's public key (its fingerprint is above), anyone can check offline that no file changed since signing and which suite judged the hub:</p>
<pre>npx hubcheck verify BUNDLE_DIR --key vendor.pub</pre>
<p>The signature is an in-toto Statement in a DSSE envelope (a Sigstore bundle, <code>attestation.sigstore.json</code>) whose subjects are the sha256 digests of every other file. The suite digest can be recomputed from a hubcheck checkout with coreutils: <code>${esc(DIGEST_RECIPE)}</code>.</p>
</section>
</main>
</body>
</html>
`;
}

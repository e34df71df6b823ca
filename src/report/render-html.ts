// Self-contained HTML rendering with print CSS (A4, a page per phase, readable in
// black and white: every status is a word, never a colour alone).
import type { ReportPhase, SignedReport } from './build.js';
import type { CheckResult } from '../checks/types.js';
import {
  STEP_COLUMNS,
  attemptRows,
  baselineRows,
  headerRows,
  proofsOf,
  signatureCell,
  signatureRows,
  valueLines,
  stepRows,
  untrustedBanner,
  verdictRows,
} from './render-md.js';
import { timeline } from './timeline.js';
import { str, textOnly } from './text.js';

export { timeline };

const ISO = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/g;
/** Escaped text; a timestamp never breaks inside itself. */
const h = (s: unknown) =>
  textOnly(str(s))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(ISO, '<span class="t">$1</span>');
/** widths (percent) fix the layout so long values wrap inside their column instead of squeezing the others */
const table = (cols: string[], rows: unknown[][], cls = '', widths?: number[]) =>
  `<table${cls || widths ? ` class="${[cls, widths ? 'fixed' : ''].filter(Boolean).join(' ')}"` : ''}` +
  `>${widths ? `<colgroup>${widths.map((w) => `<col style="width:${w}%">`).join('')}</colgroup>` : ''}` +
  `<thead><tr>${cols.map((c) => `<th>${h(c)}</th>`).join('')}` +
  `</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
const cell = (c: unknown) => `<td>${h(c === null ? '∅' : c)}</td>`;
const badge = (s: string) =>
  `<span class="st st-${h(s.split(' ')[0].replace(/[^a-z-]/gi, ''))}">${h(s.toUpperCase())}</span>`;

const CSS = `
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font: 10.5pt/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #111; max-width: 190mm;
margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 4mm; } h2 { font-size: 14pt; border-bottom: 1.5pt solid #111;
padding-bottom: 1mm; margin-top: 7mm; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm; } h4 { font-size: 10.5pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; table-layout: auto; }
th, td { border: 0.6pt solid #444; padding: 1mm 1.5mm; text-align: left; vertical-align: top;
overflow-wrap: break-word; font-size: 9pt; }
table.fixed { table-layout: fixed; } table.fixed td, table.fixed th { overflow-wrap: anywhere; }
th { background: #e8e8e8; }
pre, code { font: 8.5pt/1.35 ui-monospace, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; border: 0.6pt solid #999; padding: 1.5mm; margin: 1mm 0 2mm;
background: #f6f6f6; }
.st { font-weight: 700; border: 0.8pt solid #111; padding: 0 1mm; font-size: 8.5pt; }
.st-pass, .st-passed, .st-met, .st-signed-off { background: #e3f3e3; } .st-fail, .st-failed, .st-error,
.st-not { background: #fbe3e3; }
.st-warn, .st-overridden, .st-skipped, .st-interrupted { background: #fff4d6; }
.phase { break-before: page; } .phase:first-of-type { break-before: auto; }
.signoff { border: 1.5pt solid #111; padding: 3mm; margin: 3mm 0; break-inside: avoid; }
.sig td:first-child { width: 35mm; font-weight: 600; } .muted { color: #555; }
.t { white-space: nowrap; }
.watermark { position: fixed; top: 40%; left: 0; right: 0; text-align: center; transform: rotate(-30deg);
font-size: 64pt; font-weight: 800; color: rgba(200,0,0,0.12); pointer-events: none; z-index: 0; }
.rehearsal { border: 2pt solid #b00; padding: 2mm 3mm; font-weight: 700; }
.step { break-inside: avoid-page; }
.timeline { margin: 2mm 0; break-inside: avoid; } .timeline figcaption { font-size: 8pt; color: #555;
} blockquote { margin: 1mm 0; padding-left: 3mm; border-left: 2pt solid #111; }
@media print { body { padding: 0; } a { color: inherit; } }
`;

function check(r: CheckResult): string {
  const m = Object.entries(r.metrics);
  const extra = Object.entries(r.thresholds ?? {}).filter(([k]) => !(k in r.metrics));
  return [
    `<p>${badge(r.status)} <code>${h(r.id)}</code> — ${h(r.summary)} <span class="muted">(${h(r.durationMs)} ` +
      `ms at ${h(r.startedAt)})</span></p>`,
    m.length
      ? table(
          ['metric', 'value', 'threshold'],
          m.map(([k, v]) => [k, v, r.thresholds?.[k] ?? '']),
        )
      : '',
    extra.length ? `<p>Thresholds: ${h(extra.map(([k, v]) => `${k} ${v}`).join('; '))}</p>` : '',
    ...(r.evidence ?? [])
      .filter((e) => e.rows.length)
      .map(
        (e) =>
          table(e.columns, e.rows.slice(0, 25)) +
          (e.rows.length > 25 || e.omitted
            ? `<p class="muted">… ${e.rows.length - 25 + (e.omitted ?? 0)} more rows</p>`
            : ''),
      ),
    ...(r.artifacts ?? []).map(
      (a) => `<p>File — ${h(a.name)}: <code>${h(a.file)}</code> (${a.lines} lines, sha256 ${h(a.sha256)})</p>`,
    ),
    r.hint ? `<p>Hint: ${h(r.hint)}</p>` : '',
  ].join('');
}

function outageTable(a: NonNullable<ReportPhase['availability']>): string {
  if (!a.outages.length)
    return `<p>No outage while the phase ran (${a.spans.reduce((n, s) => n + s.ok + s.failed, 0)} probe answers).</p>`;
  return table(
    ['outage from', 'to', 'length', 'failed answers', 'first error', 'during step'],
    a.outages.map((w) => [w.start, w.end, `${(w.ms / 1000).toFixed(1)} s`, w.failed, w.firstError, w.during ?? '']),
  );
}

function phase(p: ReportPhase): string {
  const steps = p.steps
    .filter((s) => s.status !== 'pending' || s.attempts.length)
    .map(
      (s) =>
        `<div class="step"><h4>${h(s.title)} ${badge(s.status)}</h4><pre>${h(s.action)}</pre>` +
        (s.pointOfNoReturn ? `<p>⚠ Point of no return: ${h(s.pointOfNoReturn)}</p>` : '') +
        (s.notBefore ? `<p>Wait gate: not before ${h(s.notBefore)}</p>` : '') +
        valueLines(s)
          .map((l) => `<p>${h(l)}</p>`)
          .join('') +
        (s.attempts.length
          ? table(['attempt', 'outcome', 'at', 'by', 'detail'], attemptRows(s), '', [9, 15, 22, 14, 40])
          : '') +
        (s.message && s.durationMs !== undefined
          ? `<p>Last result: ${h(s.message)} (${(s.durationMs / 1000).toFixed(1)} s)</p>`
          : '') +
        (s.outputTail?.length
          ? `<p class="muted">Output of the last attempt (last lines, secrets ` +
            `masked):</p><pre>${h(s.outputTail.join('\n'))}</pre>`
          : '') +
        (s.check ? check(s.check) : '') +
        `</div>`,
    )
    .join('');
  return [
    `<section class="phase"><h2>${h(p.title)}</h2>`,
    p.objective ? `<p><strong>Objective:</strong> ${h(p.objective)}${p.when ? ` (${h(p.when)})` : ''}</p>` : '',
    `<p>Status: ${badge(p.status)}${p.startedAt ? ` · started ${h(p.startedAt)}` : ''}</p>`,
    p.signoffLine ? `<p>Sign-off record: ${h(p.signoffLine)}</p>` : '',
    p.signoffs.some((x) => x.untrusted)
      ? '<p class="rehearsal">UNTRUSTED SIGN-OFF — see the sign-off table below</p>'
      : '',
    p.pointOfNoReturn ? `<p>⚠ Point of no return: ${h(p.pointOfNoReturn)}</p>` : '',
    p.rollback ? `<p>Undone by rollback procedure: <code>${h(p.rollback)}</code></p>` : '',
    p.availability ? `<h3>Availability</h3>${timeline(p.availability)}${outageTable(p.availability)}` : '',
    `<h3>Steps</h3>`,
    table(STEP_COLUMNS, stepRows(p), '', [5, 37, 11, 14, 10, 23]),
    steps,
    `<h3>Gate</h3>`,
    p.gate.length
      ? table(
          ['check', 'status', 'evidence or override', 'every run'],
          p.gate.map((g) => [
            g.checkId,
            g.status,
            g.override
              ? `overridden by ${g.override.operator} at ${g.override.at}: ${g.override.reason}`
              : (g.summary ?? ''),
            g.runs.map((r) => `${r.status.toUpperCase()} ${r.at}`).join(', '),
          ]),
          '',
          [20, 11, 39, 30],
        )
      : '<p>No gate checks.</p>',
    `<div class="signoff"><h3>Sign-off</h3>${
      p.signoffs.length
        ? table(
            ['event', 'by', 'at', 'statement or reason', 'SSH signature'],
            p.signoffs.map((x) => [x.kind, x.by, x.at, x.statement ?? x.reason ?? '', signatureCell(x)]),
            '',
            [12, 13, 21, 30, 24],
          )
        : '<p>Not signed off.</p>'
    }${proofs(p)}</div>`,
    `</section>`,
  ].join('\n');
}

/** The signed text and signature of each sign-off and approval, folded: an auditor copies them to check by hand. */
function proofs(p: ReportPhase): string {
  const all = proofsOf(p);
  if (!all.length) return '';
  return (
    `<details class="proofs"><summary>Proofs (${all.length}): the signed text and signature of each, for ` +
    '<code>ssh-keygen -Y verify -n waymark</code></summary>' +
    all.map((x) => `<p>${h(x.label)}</p><pre>${h(x.message)}</pre><pre>${h(x.armored)}</pre>`).join('') +
    '</details>'
  );
}

export function renderHtml(r: SignedReport, embedded: string): string {
  const b = r.body;
  const head = table(['Report', 'value'], headerRows(b), 'sig', [26, 74]);
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${h(b.title)}</title><style>${CSS}</style></head><body>`,
    b.rehearsal
      ? `<div class="watermark">REHEARSAL</div><p class="rehearsal">REHEARSAL · clock ` +
        `+${h(b.rehearsal.offset)} — times are on the moved clock; this is not a record of a real run.</p>`
      : '',
    untrustedBanner(b) ? `<p class="rehearsal">${h(untrustedBanner(b)!)}</p>` : '',
    `<h1>${h(b.title)}</h1>`,
    `<h2>Verdict</h2>${table(['measure', 'value'], verdictRows(b), 'sig', [40, 60])}`,
    head,
    b.success
      ? `<h2>Success criteria</h2>${table(
          ['criterion', 'status', 'evidence'],
          b.success.map((s) => [
            s.criterion,
            s.status.toUpperCase(),
            [...(s.failedBy ?? []).map((f) => `FAILED BY ${f}`), ...s.evidence].join(' · '),
          ]),
          '',
          [24, 11, 65],
        )}`
      : '',
    ...b.phases.map(phase),
    b.baselines.length
      ? `<section><h2>Baselines</h2>${table(['check', 'recorded', 'metrics'], baselineRows(b))}</section>`
      : '',
    `<section class="signoff"><h2>Signature</h2>${table(
      ['field', 'value'],
      signatureRows(r),
      'sig',
      [26, 74],
    )}<p>Verify with <code>waymark verify &lt;this file&gt; --allowed-signers &lt;file&gt;</code>, ` +
      `or with OpenSSH (see the README).</p></section>`,
    `<script type="application/json" id="waymark-signed-report">${embedded}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

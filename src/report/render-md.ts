// Markdown rendering of a signed report. Deterministic: verify re-renders it and
// compares byte for byte, so every visible character is covered by the signature.
import type { ReportBody, ReportPhase } from './build.js';
import type { Signature } from './sign.js';
import type { CheckResult } from '../checks/types.js';

export interface SignedReport {
  body: ReportBody;
  signature: Signature;
}

const esc = (s: unknown) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (cols: string[], rows: unknown[][]) => [`| ${cols.map(esc).join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => esc(c === null ? '∅' : c)).join(' | ')} |`)];

function check(r: CheckResult, out: string[]): void {
  out.push(`**${r.status.toUpperCase()}** \`${r.id}\` — ${r.summary} _(${r.durationMs} ms at ${r.startedAt})_`, '');
  const m = Object.entries(r.metrics);
  if (m.length) out.push(...table(['metric', 'value', 'threshold'], m.map(([k, v]) => [k, v, r.thresholds?.[k] ?? ''])), '');
  const extra = Object.entries(r.thresholds ?? {}).filter(([k]) => !(k in r.metrics));
  if (extra.length) out.push(`Thresholds: ${extra.map(([k, v]) => `${k} ${v}`).join('; ')}`, '');
  for (const e of r.evidence ?? []) if (e.rows.length) out.push(...table(e.columns, e.rows.slice(0, 25)), ...(e.rows.length > 25 || e.omitted ? [`_… ${e.rows.length - 25 + (e.omitted ?? 0)} more rows_`] : []), '');
  if (r.hint) out.push(`Hint: ${r.hint}`, '');
}

function phase(p: ReportPhase, out: string[]): void {
  out.push(`## ${p.title}`, '');
  if (p.objective) out.push(`**Objective:** ${p.objective}${p.when ? ` (${p.when})` : ''}`, '');
  out.push(`Status: **${p.status}**${p.startedAt ? ` · started ${p.startedAt}` : ''}${p.signedOffAt ? ` · signed off ${p.signedOffAt} by ${p.signedOffBy}` : ''}`, '');
  if (p.pointOfNoReturn) out.push(`⚠ Point of no return: ${p.pointOfNoReturn}`, '');
  if (p.rollback) out.push(`Undone by rollback procedure: \`${p.rollback}\``, '');
  out.push('### Steps', '');
  out.push(...table(['#', 'step', 'kind', 'status', 'operator', 'started', 'finished', 'exit'], p.steps.map((s, i) => [i + 1, s.title, s.kind, `${s.status}${s.autoConfirmed ? ' (--yes)' : ''}`, s.operator ?? '', s.startedAt ?? '', s.finishedAt ?? '', s.exitCode ?? ''])), '');
  for (const s of p.steps) {
    if (s.status === 'pending') continue;
    out.push(`#### ${s.title} — ${s.status}`, '');
    out.push('```', s.action, '```', '');
    if (s.pointOfNoReturn) out.push(`⚠ Point of no return: ${s.pointOfNoReturn}`, '');
    if (s.reason) out.push(`Reason (${s.operator}): ${s.reason}`, '');
    if (s.message) out.push(`Result: ${s.message}${s.durationMs !== undefined ? ` (${(s.durationMs / 1000).toFixed(1)} s)` : ''}`, '');
    if (s.notBefore) out.push(`Wait gate: not before ${s.notBefore}`, '');
    if (s.outputTail?.length) out.push('Output (last lines, secrets masked):', '', '```', ...s.outputTail, '```', '');
    if (s.check) check(s.check, out);
  }
  out.push('### Gate', '');
  out.push(...(p.gate.length ? table(['check', 'status', 'evidence or override'], p.gate.map((g) => [g.checkId, g.status, g.override ? `overridden by ${g.override.operator} at ${g.override.at}: ${g.override.reason}` : g.summary ?? ''])) : ['No gate checks.']), '');
  out.push('### Sign-off', '');
  out.push(p.signedOffAt ? `Signed off by **${p.signedOffBy}** at ${p.signedOffAt}.` : 'Not signed off.', '');
  if (p.statement) out.push(`> ${p.statement}`, '');
}

export function renderMarkdown(r: SignedReport, embedded: string): string {
  const b = r.body;
  const out: string[] = [`# ${b.title}`, ''];
  out.push(...table(['', ''], [
    ['Runbook', `${b.runbook.title} (${b.runbook.id}) version ${b.runbook.version}`],
    ['Runbook sha256', b.runbook.hash],
    ['Run', `${b.run.id} started ${b.run.createdAt}`],
    ...Object.entries(b.target).map(([k, v]) => [`Target: ${k}`, v]),
    ['Generated', b.generatedAt],
  ]), '');
  if (b.success) {
    out.push('## Success criteria', '');
    out.push(...table(['criterion', 'status', 'evidence'], b.success.map((s) => [s.criterion, s.status, s.evidence.join(' · ')])), '');
  }
  for (const p of b.phases) phase(p, out);
  if (b.baselines.length) {
    out.push('## Baselines', '');
    out.push(...table(['check', 'recorded', 'metrics'], b.baselines.map((x) => [x.checkId, x.at, Object.entries(x.metrics).map(([k, v]) => `${k}=${v}`).join(', ')])), '');
  }
  out.push('## Signature', '');
  out.push(...table(['', ''], [
    ['Signed by', r.signature.operator],
    ['Algorithm', 'Ed25519 over the canonical JSON of this report'],
    ['Report digest (sha256)', r.signature.digest],
    ['Key fingerprint', r.signature.keyFingerprint],
    ['Signature', r.signature.signature],
  ]), '');
  out.push('Public key:', '', '```', r.signature.publicKey.trim(), '```', '');
  out.push('Verify with `waymark verify <this file>`: it checks the signature and that every byte above matches the signed content.', '');
  out.push(`<!-- waymark-signed-report`, embedded, '-->', '');
  return out.join('\n');
}

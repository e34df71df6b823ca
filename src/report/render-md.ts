// Markdown rendering of a signed report. The SSH signature appended after it covers
// every byte, so nothing visible can change without `verify` saying ALTERED.
import type { ReportBody, ReportPhase, ReportStep, ReportValue, SignedReport } from './build.js';
import type { CheckResult } from '../checks/types.js';
import type { Attempt } from '../state/run-state.js';
import { str } from './text.js';

const esc = (s: unknown) => str(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const table = (cols: string[], rows: unknown[][]) => [
  `| ${cols.map(esc).join(' | ')} |`,
  `| ${cols.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.map((c) => esc(c === null ? '∅' : c)).join(' | ')} |`),
];

/** The verdict block, in words a lead reads first. */
export function verdictRows(b: ReportBody): Array<[string, string]> {
  const v = b.verdict;
  const rows: Array<[string, string]> = [['Phases signed off', `${v.phasesSignedOff} of ${v.phases}`]];
  if (v.awaitingApproval)
    rows.push(['Awaiting approval', `${v.awaitingApproval} phase(s) signed off but short of their approvals`]);
  if (v.criteria !== undefined) rows.push(['Success criteria met', `${v.criteriaMet} of ${v.criteria}`]);
  rows.push(
    ['Overrides', String(v.overrides)],
    ['Retries', String(v.retries)],
    ['Failed attempts', String(v.failedAttempts)],
    ['Interruptions', String(v.interruptions)],
    ['Reopened sign-offs', String(v.reopenings)],
    ['Rehearsal', v.rehearsal ? `YES — clock moved +${b.rehearsal?.offset}; not a record of a real run` : 'no'],
  );
  for (const x of v.pointsOfNoReturn ?? [])
    rows.push([
      'Point of no return',
      `CROSSED: ${x.text} — ${x.step} at ${x.at ?? '?'}, confirmed by ${x.confirmedBy}`,
    ]);
  const t = b.signoffProofs;
  if (t)
    rows.push([
      'Sign-off keys',
      t.checked === 'untrusted'
        ? `UNTRUSTED SIGN-OFF: ${t.untrusted.length} not vouched for by the writer's trust file`
        : t.checked === 'trusted'
          ? "every sign-off and approval trusted by the writer's trust file"
          : 'not checked when written (no trust file); each one carries its proof',
    ]);
  return rows;
}

/** The top-of-report warning when a sign-off or approval is not vouched for; undefined when all are. */
export function untrustedBanner(b: ReportBody): string | undefined {
  const u = b.signoffProofs?.untrusted ?? [];
  if (!u.length) return undefined;
  return (
    'UNTRUSTED SIGN-OFF — this record holds sign-offs or approvals that the trust file it was written against ' +
    `does not vouch for: ${u.join('; ')}. Do not rely on it until that is explained.`
  );
}

/** Each signed statement the phase shows, with the text that was signed and its signature. */
export function proofsOf(p: ReportPhase): Array<{ label: string; message: string; armored: string }> {
  return p.signoffs.flatMap((x) =>
    x.proof ? [{ label: `${x.kind === 'approved' ? 'approval' : 'sign-off'} by ${x.by} at ${x.at}`, ...x.proof }] : [],
  );
}

/** The signature column of a sign-off row. */
export function signatureCell(x: ReportPhase['signoffs'][number]): string {
  if (x.untrusted) return `UNTRUSTED SIGN-OFF: ${x.untrusted}`;
  if (!x.keyFingerprint) return 'not signed';
  return `${x.keyFingerprint}${x.auditHead ? ` over audit line ${x.auditHead.seq}` : ''}`;
}

/** Generated at, in real time, with a rehearsal's clock beside it. */
/** What the report is of: the runbook, the run, the target, when. Both formats show these rows. */
export function headerRows(b: ReportBody): string[][] {
  return [
    ['Runbook', `${b.runbook.title} (${b.runbook.id}) version ${b.runbook.version}`],
    ['Runbook sha256', b.runbook.file ? `${b.runbook.hash} (${b.runbook.file})` : b.runbook.hash],
    ['Run', `${b.run.id} started ${b.run.createdAt}`],
    ...(b.run.environment ? [['Environment', b.run.environment]] : []),
    ...(b.run.promotedFrom ? [['Promoted from', promotedText(b.run.promotedFrom)]] : []),
    ...Object.entries(b.target).map(([k, v]) => [`Target: ${k}`, v]),
    ...(b.inputs ?? []).map((v) => [`Input: ${v.name}`, valueOnly(v)]),
    ['Generated', generatedText(b)],
  ];
}

/** An input or a captured value in words; a secret one by who gave it and when, never its value. */
export function valueText(v: ReportValue): string {
  return `${v.name} = ${valueOnly(v)}`;
}

/** "keep-first — given by alice at T"; a secret one "secret, not recorded — given by …". */
function valueOnly(v: ReportValue): string {
  const what = v.secret ? 'secret, not recorded' : (v.value ?? '');
  if (v.kind === 'captured') return `${what} — captured at ${v.at}`;
  return `${what} — given by ${v.by ?? '?'} at ${v.at}${v.auto ? ' (its default, under --yes)' : ''}`;
}

/** A step's decisions and captured values, a line each, as both formats show them. */
export function valueLines(s: ReportStep): string[] {
  return (s.values ?? []).map((v) => `${v.kind === 'input' ? 'Decision' : 'Captured'}: ${valueText(v)}`);
}

/** The run a run was promoted from, as a report names it: which run, its record's head, who signed what. */
export function promotedText(p: NonNullable<ReportBody['run']['promotedFrom']>): string {
  const head = p.auditHead ? `, audit log #${p.auditHead.seq} ${p.auditHead.hash}` : '';
  const phases = p.phases
    .map(
      (x) => `${x.id} by ${x.by} (key ${x.keyFingerprint ?? '?'}${x.reportDigest ? `, report ${x.reportDigest}` : ''})`,
    )
    .join('; ');
  return `${p.environment} run ${p.runId} of runbook sha256 ${p.runbookHash}${head}; signed off: ${phases}`;
}

export const STEP_COLUMNS = ['#', 'step', 'kind', 'status', 'attempts', 'finished'];

/** A phase's steps, one row each: both formats show these rows. */
export function stepRows(p: ReportPhase): Array<Array<string | number>> {
  return p.steps.map((s, i) => [
    i + 1,
    s.title,
    s.kind,
    `${s.status}${s.autoConfirmed ? ' (--yes)' : ''}`,
    s.attempts.length,
    s.finishedAt ?? '',
  ]);
}

/** The baselines the run recorded: check, when, its metrics. Both formats show these rows. */
export function baselineRows(b: ReportBody): string[][] {
  return b.baselines.map((x) => [
    x.checkId,
    x.at,
    Object.entries(x.metrics)
      .map(([k, v]) => `${k}=${str(v)}`)
      .join(', '),
  ]);
}

/** Who signed, with which key, over what. Both formats show these rows. */
export function signatureRows(r: SignedReport): string[][] {
  return [
    ['Signed by', `${r.signer.operator} (identity "${r.signer.identity}")`],
    ['Key', `${r.signer.publicKey.split(' ')[0]} ${r.signer.keyFingerprint}`],
    ['Format', 'OpenSSH signature (SSHSIG), namespace "waymark", sha512, over every byte before it'],
    ['Audit log head', `line ${r.auditHead.seq}, sha256 ${r.auditHead.hash}`],
  ];
}

export function generatedText(b: ReportBody): string {
  return b.rehearsal
    ? `${b.generatedAt} (real) · ${b.rehearsal.clockAt} (rehearsal clock +${b.rehearsal.offset})`
    : b.generatedAt;
}

/** The attempt rows of a step: the operator only where it changes from the row before. */
export function attemptRows(s: ReportStep): unknown[][] {
  return s.attempts.map((a: Attempt, i) => {
    // every attempt names who ran it, even the same person again: a reader never has to guess
    const by = a.operator ?? '(not recorded)';
    const what = [
      a.rerunOf ? `run again after it had ${a.rerunOf}, confirmed by ${by}` : '',
      a.reason ? `reason: ${a.reason}` : '',
      a.message ?? '',
      a.exitCode !== undefined && a.exitCode !== null ? `exit ${a.exitCode}` : '',
      a.confirmedStopped
        ? `confirmed stopped by ${a.confirmedStopped.by} at ${a.confirmedStopped.at}: ${a.confirmedStopped.reason}`
        : '',
    ]
      .filter(Boolean)
      .join(' · ');
    return [i + 1, `${a.status}${a.autoConfirmed ? ' (--yes)' : ''}`, a.finishedAt ?? '', by, what];
  });
}

function check(r: CheckResult, out: string[]): void {
  out.push(`**${r.status.toUpperCase()}** \`${r.id}\` — ${r.summary} _(${r.durationMs} ms at ${r.startedAt})_`, '');
  const m = Object.entries(r.metrics);
  if (m.length)
    out.push(
      ...table(
        ['metric', 'value', 'threshold'],
        m.map(([k, v]) => [k, v, r.thresholds?.[k] ?? '']),
      ),
      '',
    );
  const extra = Object.entries(r.thresholds ?? {}).filter(([k]) => !(k in r.metrics));
  if (extra.length) out.push(`Thresholds: ${extra.map(([k, v]) => `${k} ${v}`).join('; ')}`, '');
  for (const e of r.evidence ?? [])
    if (e.rows.length)
      out.push(
        ...table(e.columns, e.rows.slice(0, 25)),
        ...(e.rows.length > 25 || e.omitted ? [`_… ${e.rows.length - 25 + (e.omitted ?? 0)} more rows_`] : []),
        '',
      );
  for (const a of r.artifacts ?? [])
    out.push(`File — ${a.name}: \`${a.file}\` (${a.lines} lines, sha256 ${a.sha256})`, '');
  if (r.hint) out.push(`Hint: ${r.hint}`, '');
}

function phase(p: ReportPhase, out: string[]): void {
  out.push(`## ${p.title}`, '');
  if (p.objective) out.push(`**Objective:** ${p.objective}${p.when ? ` (${p.when})` : ''}`, '');
  out.push(`Status: **${p.status}**${p.startedAt ? ` · started ${p.startedAt}` : ''}`, '');
  if (p.signoffLine) out.push(`Sign-off record: ${p.signoffLine}`, '');
  if (p.signoffs.some((x) => x.untrusted)) out.push('**UNTRUSTED SIGN-OFF** — see the sign-off table below', '');
  if (p.pointOfNoReturn) out.push(`⚠ Point of no return: ${p.pointOfNoReturn}`, '');
  if (p.rollback) out.push(`Undone by rollback procedure: \`${p.rollback}\``, '');
  if (p.availability) {
    const a = p.availability;
    const answers = a.spans.reduce((n, s) => n + s.ok + s.failed, 0);
    const failed = a.spans.reduce((n, s) => n + s.failed, 0);
    out.push(
      `Availability: ${answers} probe answers, ${failed} failed, ${a.outages.length} ` +
        `outage(s)${a.spans.length ? '' : ' — no probe data while this phase ran'}`,
      '',
    );
    if (a.outages.length)
      out.push(
        ...table(
          ['outage from', 'to', 'length', 'failed answers', 'first error', 'during step'],
          a.outages.map((w) => [
            w.start,
            w.end,
            `${(w.ms / 1000).toFixed(1)} s`,
            w.failed,
            w.firstError,
            w.during ?? '',
          ]),
        ),
        '',
      );
  }
  out.push('### Steps', '');
  out.push(...table(STEP_COLUMNS, stepRows(p)), '');
  for (const s of p.steps) {
    if (s.status === 'pending' && !s.attempts.length) continue;
    out.push(`#### ${s.title} — ${s.status}`, '');
    out.push('```', s.action, '```', '');
    if (s.pointOfNoReturn) out.push(`⚠ Point of no return: ${s.pointOfNoReturn}`, '');
    if (s.notBefore) out.push(`Wait gate: not before ${s.notBefore}`, '');
    for (const l of valueLines(s)) out.push(l, '');
    if (s.attempts.length) out.push(...table(['attempt', 'outcome', 'at', 'by', 'detail'], attemptRows(s)), '');
    if (s.message && s.durationMs !== undefined)
      out.push(`Last result: ${s.message} (${(s.durationMs / 1000).toFixed(1)} s)`, '');
    if (s.outputTail?.length)
      out.push('Output of the last attempt (last lines, secrets masked):', '', '```', ...s.outputTail, '```', '');
    if (s.check) check(s.check, out);
  }
  out.push('### Gate', '');
  const gate = p.gate.map((g) => [
    g.checkId,
    g.status,
    g.override ? `overridden by ${g.override.operator} at ${g.override.at}: ${g.override.reason}` : (g.summary ?? ''),
    g.runs.map((r) => `${r.status.toUpperCase()} ${r.at}`).join(', '),
  ]);
  out.push(
    ...(p.gate.length ? table(['check', 'status', 'evidence or override', 'every run'], gate) : ['No gate checks.']),
    '',
  );
  out.push('### Sign-off', '');
  if (p.signoffs.length) {
    const rows = p.signoffs.map((x) => [x.kind, x.by, x.at, x.statement ?? x.reason ?? '', signatureCell(x)]);
    out.push(...table(['event', 'by', 'at', 'statement or reason', 'SSH signature'], rows), '');
    for (const pr of proofsOf(p))
      out.push(
        `Proof of the ${pr.label} — the signed text, then its signature (\`ssh-keygen -Y verify -n waymark\`):`,
        '',
        '```text',
        pr.message.replace(/\n$/, ''),
        '```',
        '',
        '```text',
        pr.armored.replace(/\n$/, ''),
        '```',
        '',
      );
  } else out.push('Not signed off.', '');
}

export function renderMarkdown(r: SignedReport, embedded: string): string {
  const b = r.body;
  const out: string[] = [];
  if (b.rehearsal)
    out.push(
      `> **REHEARSAL** · clock +${b.rehearsal.offset} — times below are on the moved clock; this is not a ` +
        `record of a real run.`,
      '',
    );
  const banner = untrustedBanner(b);
  if (banner) out.push(`> **${banner.replace(' — ', '** — ')}`, '');
  out.push(`# ${b.title}`, '');
  out.push('## Verdict', '', ...table(['', ''], verdictRows(b)), '');
  out.push(...table(['field', 'value'], headerRows(b)), '');
  if (b.success) {
    out.push('## Success criteria', '');
    const rows = b.success.map((s) => [
      s.criterion,
      s.status.toUpperCase(),
      [...(s.failedBy ?? []).map((f) => `FAILED BY ${f}`), ...s.evidence].join(' · '),
    ]);
    out.push(...table(['criterion', 'status', 'evidence'], rows), '');
  }
  for (const p of b.phases) phase(p, out);
  if (b.baselines.length) {
    out.push('## Baselines', '');
    out.push(...table(['check', 'recorded', 'metrics'], baselineRows(b)), '');
  }
  out.push('## Signature', '');
  out.push(...table(['field', 'value'], signatureRows(r)), '');
  out.push('Verify: `waymark verify <this file> --allowed-signers <file>`, or with OpenSSH (see the README).', '');
  out.push(`<!-- waymark-signed-report`, embedded, '-->', '');
  return out.join('\n');
}

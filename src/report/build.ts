// The canonical report: plain JSON built from the run's state, the runbook and the
// audit log. Markdown and HTML are renderings of exactly this object.
import type { Runbook } from '../runbook/schema.js';
import type { Redactor } from '../runbook/redact.js';
import type { RunState, Attempt, PromotedFrom, SignoffRecord } from '../state/run-state.js';
import type { CheckResult } from '../checks/types.js';
import type { AuditEntry } from '../state/audit.js';
import { approvalsMissing, gateStatus, phaseState, stepState, waitNotBefore } from '../phases/rules.js';
import { signoffHistoryLine } from '../phases/wording.js';
import { describeStep } from '../phases/plan.js';
import { parseDuration } from '../runbook/duration.js';
import type { ProbeSummary, ProbeWindow } from '../phases/probe.js';
import { findPhase } from '../phases/lookups.js';
import { stepKey } from '../runbook/step-key.js';
import { splitStepKey } from '../runbook/step-key.js';
import { stepValues, type ReportValue } from './values.js';

export type { ReportValue } from './values.js';

export const REPORT_FORMAT = 'waymark-report/2';

export interface ReportStep {
  id: string;
  kind: string;
  title: string;
  status: string;
  action: string;
  startedAt?: string;
  finishedAt?: string;
  operator?: string;
  reason?: string;
  exitCode?: number | null;
  durationMs?: number;
  message?: string;
  autoConfirmed?: boolean;
  outputTail?: string[];
  check?: CheckResult;
  notBefore?: string;
  pointOfNoReturn?: string;
  /** every finished attempt, oldest first */
  attempts: Attempt[];
  /** the inputs asked when the step was reached (its decisions), and the values it captured */
  values?: ReportValue[];
}

export interface CheckRun {
  at: string;
  status: string;
  summary?: string;
}

/** What a sign-off record shows: the signature's key, not its bytes. */
export type ReportSignoff = Omit<SignoffRecord, 'signature' | 'kind' | 'approvals'> & {
  /** an approval is a row of its own, after the sign-off it approves */
  kind: SignoffRecord['kind'] | 'approved';
  keyFingerprint?: string;
  auditHead?: { seq: number; hash: string };
  /**
   * The signed text and its SSHSIG, as the audit log holds them: a reader checks who signed it
   * against their own trust file (`waymark verify`, or `ssh-keygen -Y verify` alone).
   */
  proof?: { message: string; armored: string };
  /** why this sign-off or approval is not trusted, when the writer's trust file said so */
  untrusted?: string;
};

export interface ReportPhase {
  id: string;
  title: string;
  objective?: string;
  when?: string;
  status: string;
  startedAt?: string;
  signedOffAt?: string;
  signedOffBy?: string;
  statement?: string;
  rollback?: string;
  pointOfNoReturn?: string;
  gate: Array<{
    checkId: string;
    status: string;
    summary?: string;
    override?: { operator: string; reason: string; at?: string };
    runs: CheckRun[];
  }>;
  steps: ReportStep[];
  /** "signed off by A at T1 · reopened by B at T2: reason · signed off again by C at T3" */
  signoffLine?: string;
  signoffs: ReportSignoff[];
  /** approvals the sign-off in force still lacks (a phase with `approvals`) */
  approvalsNeeded?: number;
  /** what the availability probes saw while the phase ran, on the run's clock */
  availability?: PhaseAvailability;
}

export interface PhaseAvailability {
  from: string;
  to: string;
  spans: Array<{ probe: string; from: string; to: string; ok: number; failed: number; maxLatencyMs: number }>;
  outages: ProbeWindow[];
  /** steps that ran commands (restarts among them), from start to end, to mark on the timeline */
  marks: Array<{ at: string; from?: string; title: string }>;
}

/** The first thing a reader sees: how the run went, in counts. */
export interface Verdict {
  phasesSignedOff: number;
  phases: number;
  /** signed off, but short of the approvals the runbook asks for (counted apart from the above) */
  awaitingApproval?: number;
  criteriaMet?: number;
  criteria?: number;
  overrides: number;
  retries: number;
  failedAttempts: number;
  interruptions: number;
  reopenings: number;
  rehearsal: boolean;
  /** points of no return crossed: what, when, and who (or --yes) confirmed it */
  pointsOfNoReturn?: Array<{ step: string; text: string; at?: string; confirmedBy: string }>;
}

export interface SuccessRow {
  id: string;
  criterion: string;
  status: 'met' | 'not met' | 'not yet';
  evidence: string[];
  /** what failed it, when it is not met */
  failedBy?: string[];
}

export interface ReportBody {
  format: string;
  kind: 'phase' | 'migration';
  title: string;
  /** real time, always */
  generatedAt: string;
  /** a rehearsal's clock: its offset and the moved time at generation */
  rehearsal?: { offset: string; clockAt: string };
  verdict: Verdict;
  /** file: the runbook's file name (a .md or a .yaml one), absent in older reports */
  runbook: { id: string; title: string; version: string; hash: string; file?: string };
  run: { id: string; createdAt: string; fingerprint: string; environment?: string; promotedFrom?: PromotedFrom };
  target: Record<string, string>;
  /** the inputs given at the start of the run (a step's decisions are shown beside it) */
  inputs?: ReportValue[];
  phases: ReportPhase[];
  baselines: Array<{ checkId: string; at: string; metrics: Record<string, unknown> }>;
  success?: SuccessRow[];
  /**
   * Set by reports that carry the proof of each sign-off and approval (absent in older ones), and
   * what the writer's trust file said of them: `untrusted` names those it does not vouch for.
   */
  signoffProofs?: { embedded: true; checked: 'trusted' | 'untrusted' | 'no-trust-file'; untrusted: string[] };
}

export interface BuildInput {
  runbook: Runbook;
  runbookHash: string;
  runbookFile?: string;
  state: RunState;
  redactor: Redactor;
  audit: AuditEntry[];
  /** the run's clock (a rehearsal's is moved) */
  now: Date;
  /** the real time */
  realNow?: Date;
}

type Input = BuildInput & { runs: Map<string, CheckRun[]> };

function reportPhase(inp: Input, phaseId: string): ReportPhase {
  const { runbook: rb, state, redactor } = inp;
  const p = findPhase(rb, phaseId)!;
  const ps = phaseState(state, p.id);
  return {
    id: p.id,
    title: p.title,
    objective: p.objective,
    when: p.when,
    status: ps.status,
    startedAt: ps.startedAt,
    signedOffAt: ps.signedOffAt,
    signedOffBy: ps.signedOffBy,
    statement: ps.statement,
    rollback: p.rollback,
    pointOfNoReturn: p.point_of_no_return,
    gate: gateStatus(rb, state, p.id).map((g) => ({
      checkId: g.checkId,
      status: g.status,
      summary: g.result?.summary,
      override: g.override
        ? { operator: g.override.operator, reason: g.override.reason, at: g.override.at }
        : undefined,
      runs: (inp.runs.get(g.checkId) ?? []).filter(
        (r) => (!ps.startedAt || r.at >= ps.startedAt) && (!ps.signedOffAt || r.at <= ps.signedOffAt),
      ),
    })),
    signoffLine: signoffHistoryLine(ps) || undefined,
    approvalsNeeded: approvalsMissing(rb, state, p.id) || undefined,
    availability: phaseAvailability(inp, p.id),
    signoffs: (ps.history ?? []).flatMap(({ signature, approvals, ...r }) => [
      {
        ...r,
        keyFingerprint: signature?.keyFingerprint,
        auditHead: signature?.auditHead,
        proof: signature ? { message: signature.message, armored: signature.armored } : undefined,
      },
      ...(approvals ?? []).map((x) => ({
        kind: 'approved' as const,
        by: x.by,
        at: x.at,
        statement: `approves the sign-off by ${r.by} (from ${x.host})`,
        keyFingerprint: x.keyFingerprint,
        proof: { message: x.message, armored: x.armored },
      })),
    ]),
    steps: p.steps.map((s) => {
      const st = stepState(state, p.id, s.id);
      const out: ReportStep = {
        id: s.id,
        kind: s.kind,
        title: s.title,
        status: st.status,
        // what ran, as recorded then (vars may have changed since); else what would run
        action: (s.kind === 'command' && st.command) || describeStep(s, redactor),
        startedAt: st.startedAt,
        finishedAt: st.finishedAt,
        operator: st.operator,
        reason: st.reason,
        exitCode: st.exitCode,
        durationMs: st.durationMs,
        message: st.message,
        autoConfirmed: st.autoConfirmed,
        outputTail: st.outputTail?.slice(-15).map((l) => l.text),
        check: st.check,
        pointOfNoReturn: s.point_of_no_return,
        attempts: st.history ?? [],
        values: stepValues(state, stepKey(p.id, s.id)),
      };
      if (s.kind === 'wait') out.notBefore = waitNotBefore(rb, state, s)?.toISOString();
      return out;
    }),
  };
}

/** Every recorded run of every check, from the audit log (clock time where rehearsed), read once per report. */
function checkRunsById(audit: AuditEntry[]): Map<string, CheckRun[]> {
  const runs = new Map<string, CheckRun[]>();
  for (const e of audit) {
    const d = e.data as
      | { id?: string; status?: string; summary?: string; check?: { id: string; status: string; summary?: string } }
      | undefined;
    const c = e.event === 'check.result' ? d : e.event === 'step.finished' ? d?.check : undefined;
    if (!c?.id) continue;
    runs.set(c.id, [...(runs.get(c.id) ?? []), { at: e.clock ?? e.at, status: c.status ?? '', summary: c.summary }]);
  }
  return runs;
}

const passedRun = (r: CheckRun) => r.status === 'pass' || r.status === 'warn';

function successRows(inp: Input): SuccessRow[] {
  const { runbook: rb, state } = inp;
  return rb.success.map((s) => {
    const evidence: string[] = [];
    const failedBy: string[] = [];
    let met = true;
    let pending = false;
    for (const id of s.checks) {
      const r = state.checks[id];
      const runs = inp.runs.get(id) ?? [];
      if (!r) {
        pending = true;
        evidence.push(`${id}: not run in this run`);
        continue;
      }
      if (!(r.status === 'pass' || r.status === 'warn')) {
        met = false;
        failedBy.push(`${id}: ${r.status.toUpperCase()} at ${r.startedAt} — ${r.summary}`);
      }
      const failedRuns = runs.filter((x) => !passedRun(x));
      if (s.every_run && failedRuns.length) {
        met = false;
        for (const run of failedRuns)
          failedBy.push(`${id}: ${run.status.toUpperCase()} at ${run.at} — ${run.summary ?? ''}`);
      }
      evidence.push(
        `${id}: ${r.status.toUpperCase()} — ${r.summary} (${r.startedAt})` +
          (runs.length
            ? `; ${runs.length - failedRuns.length} of ${runs.length} runs passed during the migration`
            : ''),
      );
    }
    for (const key of s.steps) {
      const { scope, stepId } = splitStepKey(key);
      const st = stepState(state, scope, stepId);
      if (st.status === 'pending' || st.status === 'running') pending = true;
      else if (st.status !== 'passed') {
        met = false;
        failedBy.push(
          `step ${key}: ${st.status}${st.reason ? ` — ${st.reason}` : st.message ? ` — ${st.message}` : ''}`,
        );
      }
      evidence.push(
        `step ${key}: ${st.status}${st.message ? ` — ${st.message}` : ''}${st.finishedAt ? ` (${st.finishedAt})` : ''}`,
      );
    }
    if (s.probe) {
      const v = probeVerdict(inp, s.probe, {
        maxOutageMs: s.max_outage ? (parseDuration(s.max_outage) ?? 0) : undefined,
        availability: s.availability,
      });
      evidence.push(...v.evidence);
      failedBy.push(...v.failedBy);
      if (!v.met) met = false;
    }
    const status = !met ? 'not met' : pending ? 'not yet' : 'met';
    // the runbook's sentence says what "met" rests on: stated as a fact only when it is one
    if (s.evidence) evidence.push(status === 'met' ? s.evidence : `required: ${s.evidence}`);
    return { id: s.id, criterion: s.criterion, status, evidence, failedBy: failedBy.length ? failedBy : undefined };
  });
}

/** The success criteria as they stand now, with the evidence behind each: the report's and the TUI's. */
export function successCriteria(input: BuildInput): SuccessRow[] {
  return successRows({ ...input, runs: checkRunsById(input.audit) });
}

export function buildReport(input: BuildInput, scope: { phase: string } | { all: true }): ReportBody {
  const inp: Input = { ...input, runs: checkRunsById(input.audit) };
  const { runbook: rb, state } = inp;
  const phases = 'phase' in scope ? [scope.phase] : rb.phases.map((p) => p.id);
  const body: Omit<ReportBody, 'verdict'> = {
    format: REPORT_FORMAT,
    kind: 'phase' in scope ? 'phase' : 'migration',
    title:
      'phase' in scope
        ? `${findPhase(rb, scope.phase)!.title} — signed phase report`
        : `${rb.title} — migration report`,
    generatedAt: (inp.realNow ?? inp.now).toISOString(),
    rehearsal: state.rehearsal ? { offset: state.rehearsal.offset, clockAt: inp.now.toISOString() } : undefined,
    runbook: { id: rb.id, title: rb.title, version: rb.version, hash: inp.runbookHash, file: inp.runbookFile },
    run: {
      id: state.runId,
      createdAt: state.createdAt,
      fingerprint: state.fingerprint,
      ...(state.environment ? { environment: state.environment } : {}),
      ...(state.promotedFrom ? { promotedFrom: state.promotedFrom } : {}),
    },
    target: state.target,
    inputs: stepValues(state, undefined),
    phases: phases.map((id) => reportPhase(inp, id)),
    baselines: Object.values(state.baselines).map((b) => ({ checkId: b.checkId, at: b.at, metrics: b.metrics })),
  };
  if (!('phase' in scope) && rb.success.length) body.success = successRows(inp);
  // Nothing secret leaves: every string of the report goes through the redactor once more.
  return inp.redactor.redactDeep(JSON.parse(JSON.stringify({ ...body, verdict: verdictOf(body) })) as ReportBody);
}

/** The probes' record within a phase's span, moved onto the run's clock (a rehearsal's is moved). */
function phaseAvailability(inp: Input, phaseId: string): PhaseAvailability | undefined {
  const ps = inp.state.phases[phaseId];
  if (!ps?.startedAt || !Object.keys(inp.runbook.probes ?? {}).length) return undefined;
  const from = Date.parse(ps.startedAt);
  const to = ps.signedOffAt ? Date.parse(ps.signedOffAt) : inp.now.getTime();
  const shift = (e: AuditEntry) => (e.clock ? Date.parse(e.clock) - Date.parse(e.at) : 0);
  const moved = (t: string, e: AuditEntry) => new Date(Date.parse(t) + shift(e)).toISOString();
  const inside = (a: string, b: string) => Date.parse(a) <= to && Date.parse(b) >= from;
  const spans = inp.audit
    .filter((e) => e.event === 'probe.summary')
    .map((e) => ({
      ...(e.data as ProbeSummary),
      from: moved((e.data as ProbeSummary).from, e),
      to: moved((e.data as ProbeSummary).to, e),
    }))
    .filter((x) => inside(x.from, x.to));
  const outages = inp.audit
    .filter((e) => e.event === 'probe.outage')
    .map((e) => ({
      ...(e.data as ProbeWindow),
      start: moved((e.data as ProbeWindow).start, e),
      end: moved((e.data as ProbeWindow).end, e),
    }))
    .filter((w) => inside(w.start, w.end));
  const phase = findPhase(inp.runbook, phaseId)!;
  const marks = phase.steps
    .filter((s) => s.kind === 'command')
    .flatMap((s) => {
      const st = inp.state.steps[stepKey(phaseId, s.id)];
      return st?.finishedAt ? [{ at: st.finishedAt, from: st.startedAt, title: s.title }] : [];
    });
  return { from: ps.startedAt, to: new Date(to).toISOString(), spans, outages, marks };
}

/**
 * A probe's record as evidence: answers, availability, outages (with the step they fell in),
 * and whether it probed the whole time each phase ran — where it did not, it cannot vouch.
 */
function probeVerdict(inp: Input, probe: string, want: { maxOutageMs?: number; availability?: number }) {
  const evidence: string[] = [];
  const failedBy: string[] = [];
  // probe times are real; phases are on the run's clock (moved in a rehearsal): the entry carries both
  const shift = (e: AuditEntry) => (e.clock ? Date.parse(e.clock) - Date.parse(e.at) : 0);
  const sums = inp.audit.filter((e) => e.event === 'probe.summary' && (e.data as ProbeSummary).probe === probe);
  const outs = inp.audit
    .filter((e) => e.event === 'probe.outage' && (e.data as ProbeWindow).probe === probe)
    .map((e) => e.data as ProbeWindow);
  const ok = sums.reduce((n, e) => n + (e.data as ProbeSummary).ok, 0);
  const failed = sums.reduce((n, e) => n + (e.data as ProbeSummary).failed, 0);
  const pct = ok + failed ? (100 * ok) / (ok + failed) : 0;
  const longest = outs.reduce((m, w) => Math.max(m, w.ms), 0);
  let met = true;
  evidence.push(
    `probe ${probe}: ${ok + failed} answers, ${failed} failed (${pct.toFixed(2)} % available), longest outage ` +
      `${(longest / 1000).toFixed(1)} s`,
  );
  if (want.availability !== undefined && pct < want.availability) {
    met = false;
    failedBy.push(`probe ${probe}: ${pct.toFixed(2)} % available, ${want.availability} % required`);
  }
  for (const w of outs)
    if (want.maxOutageMs !== undefined && w.ms > want.maxOutageMs) {
      met = false;
      failedBy.push(
        `probe ${probe}: outage of ${(w.ms / 1000).toFixed(1)} s from ` +
          `${w.start}${w.during ? ` during step ${w.during}` : ''} (${w.failed} failed: ${w.firstError})`,
      );
    }
  // every phase that ran must lie under the probe's record
  const spans = sums.map((e) => ({
    from: Date.parse((e.data as ProbeSummary).from) + shift(e),
    to: Date.parse((e.data as ProbeSummary).to) + shift(e),
  }));
  for (const p of inp.runbook.phases) {
    const ps = inp.state.phases[p.id];
    if (!ps?.startedAt) continue;
    const from = Date.parse(ps.startedAt);
    const to = ps.signedOffAt ? Date.parse(ps.signedOffAt) : inp.now.getTime();
    if (!spans.some((x) => x.from <= to && x.to >= from)) {
      met = false;
      failedBy.push(`probe ${probe}: no probe data while "${p.title}" ran — nothing shows it was available then`);
    }
  }
  return { met, evidence, failedBy };
}

function verdictOf(b: Omit<ReportBody, 'verdict'>): Verdict {
  const steps = b.phases.flatMap((p) => p.steps);
  const attempts = steps.flatMap((s) => s.attempts);
  const v: Verdict = {
    phasesSignedOff: b.phases.filter((p) => p.status === 'signed-off' && !p.approvalsNeeded).length,
    awaitingApproval: b.phases.filter((p) => p.status === 'signed-off' && p.approvalsNeeded).length || undefined,
    phases: b.phases.length,
    overrides:
      b.phases.reduce((n, p) => n + p.gate.filter((g) => g.override).length, 0) +
      attempts.filter((a) => a.status === 'overridden').length,
    // a retry is any attempt after a step's first
    retries: steps.reduce((n, s) => n + Math.max(0, s.attempts.length - 1), 0),
    failedAttempts: attempts.filter((a) => a.status === 'failed').length,
    interruptions: attempts.filter((a) => a.status === 'interrupted').length,
    reopenings: b.phases.reduce((n, p) => n + p.signoffs.filter((x) => x.kind === 'reopened').length, 0),
    rehearsal: !!b.rehearsal,
  };
  // a point of no return crossed is a fact a reader must see first, with who (or what) confirmed it
  const crossed = b.phases.flatMap((p) =>
    p.steps
      .filter((st) => st.pointOfNoReturn && st.status === 'passed')
      .map((st) => ({
        step: stepKey(p.id, st.id),
        text: st.pointOfNoReturn!,
        at: st.finishedAt,
        confirmedBy: st.autoConfirmed ? '--yes' : (st.operator ?? '(not recorded)'),
      })),
  );
  if (crossed.length) v.pointsOfNoReturn = crossed;
  if (b.success) {
    v.criteria = b.success.length;
    v.criteriaMet = b.success.filter((s) => s.status === 'met').length;
  }
  return v;
}

/** What the file carries besides its visible text: the content, who signs, and the audit head. */
export interface SignedReport {
  body: ReportBody;
  signer: {
    operator: string;
    /** the identity to verify against: `ssh-keygen -Y verify -I <identity>` */
    identity: string;
    keyFingerprint: string;
    /** "ssh-ed25519 AAAA…" */
    publicKey: string;
  };
  /** the audit log's chain head when the report was written */
  auditHead: { seq: number; hash: string };
}

// The canonical report: plain JSON built from the run's state, the runbook and the
// audit log. Markdown and HTML are renderings of exactly this object.
import type { Runbook } from '../runbook/schema.js';
import type { Redactor } from '../runbook/redact.js';
import type { RunState } from '../phases/state.js';
import type { CheckResult } from '../checks/types.js';
import type { AuditEntry } from '../state/audit.js';
import { gateStatus, phaseState, stepState, waitNotBefore } from '../phases/engine.js';
import { describeStep } from '../phases/plan.js';

export const REPORT_FORMAT = 'waymark-report/1';

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
}

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
  gate: Array<{ checkId: string; status: string; summary?: string; override?: { operator: string; reason: string; at?: string } }>;
  steps: ReportStep[];
}

export interface SuccessRow {
  id: string;
  criterion: string;
  status: 'met' | 'not met' | 'not yet';
  evidence: string[];
}

export interface ReportBody {
  format: string;
  kind: 'phase' | 'migration';
  title: string;
  generatedAt: string;
  runbook: { id: string; title: string; version: string; hash: string };
  run: { id: string; createdAt: string; fingerprint: string };
  target: Record<string, string>;
  phases: ReportPhase[];
  baselines: Array<{ checkId: string; at: string; metrics: Record<string, unknown> }>;
  success?: SuccessRow[];
}

export interface BuildInput {
  runbook: Runbook;
  runbookHash: string;
  state: RunState;
  redactor: Redactor;
  audit: AuditEntry[];
  now: Date;
}

function reportPhase(inp: BuildInput, phaseId: string): ReportPhase {
  const { runbook: rb, state, redactor } = inp;
  const p = rb.phases.find((x) => x.id === phaseId)!;
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
    gate: gateStatus(rb, state, p.id).map((g) => ({ checkId: g.checkId, status: g.status, summary: g.result?.summary, override: g.override ? { operator: g.override.operator, reason: g.override.reason, at: ps.overrides.find((o) => o.checkId === g.checkId)?.at } : undefined })),
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
      };
      if (s.kind === 'wait') out.notBefore = waitNotBefore(rb, state, s)?.toISOString();
      return out;
    }),
  };
}

/** How often each check ran in this run and how often it passed, from the audit log. */
function checkHistory(audit: AuditEntry[]): Map<string, { runs: number; passed: number }> {
  const h = new Map<string, { runs: number; passed: number }>();
  for (const e of audit) {
    const d = e.data as { id?: string; status?: string; check?: { id: string; status: string } } | undefined;
    const c = e.event === 'check.result' ? d : e.event === 'step.finished' ? d?.check : undefined;
    if (!c?.id) continue;
    const x = h.get(c.id) ?? { runs: 0, passed: 0 };
    x.runs++;
    if (c.status === 'pass' || c.status === 'warn') x.passed++;
    h.set(c.id, x);
  }
  return h;
}

function successRows(inp: BuildInput): SuccessRow[] {
  const { runbook: rb, state } = inp;
  const history = checkHistory(inp.audit);
  return rb.success.map((s) => {
    const evidence: string[] = [];
    let met = true;
    let pending = false;
    for (const id of s.checks) {
      const r = state.checks[id];
      const hist = history.get(id);
      if (!r) {
        pending = true;
        evidence.push(`${id}: not run in this run`);
        continue;
      }
      if (!(r.status === 'pass' || r.status === 'warn')) met = false;
      if (s.every_run && hist && hist.passed < hist.runs) met = false;
      evidence.push(`${id}: ${r.status.toUpperCase()} — ${r.summary} (${r.startedAt})${hist ? `; ${hist.passed} of ${hist.runs} runs passed during the migration` : ''}`);
    }
    for (const key of s.steps) {
      const i = key.lastIndexOf('/');
      const st = stepState(state, key.slice(0, i), key.slice(i + 1));
      if (st.status === 'pending' || st.status === 'running') pending = true;
      else if (st.status !== 'passed') met = false;
      evidence.push(`step ${key}: ${st.status}${st.message ? ` — ${st.message}` : ''}${st.finishedAt ? ` (${st.finishedAt})` : ''}`);
    }
    if (s.evidence) evidence.push(s.evidence);
    return { id: s.id, criterion: s.criterion, status: !met ? 'not met' : pending ? 'not yet' : 'met', evidence };
  });
}

export function buildReport(inp: BuildInput, scope: { phase: string } | { all: true }): ReportBody {
  const { runbook: rb, state } = inp;
  const phases = 'phase' in scope ? [scope.phase] : rb.phases.map((p) => p.id);
  const body: ReportBody = {
    format: REPORT_FORMAT,
    kind: 'phase' in scope ? 'phase' : 'migration',
    title: 'phase' in scope ? `${rb.phases.find((p) => p.id === scope.phase)!.title} — signed phase report` : `${rb.title} — migration report`,
    generatedAt: inp.now.toISOString(),
    runbook: { id: rb.id, title: rb.title, version: rb.version, hash: inp.runbookHash },
    run: { id: state.runId, createdAt: state.createdAt, fingerprint: state.fingerprint },
    target: state.target,
    phases: phases.map((id) => reportPhase(inp, id)),
    baselines: Object.values(state.baselines).map((b) => ({ checkId: b.checkId, at: b.at, metrics: b.metrics })),
  };
  if (!('phase' in scope)) body.success = successRows(inp);
  // Nothing secret leaves: every string of the report goes through the redactor once more.
  return inp.redactor.redactDeep(JSON.parse(JSON.stringify(body)) as ReportBody);
}

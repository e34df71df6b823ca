// The dry-run plan: every phase and step as it would run now, from the live run's
// state, without executing or writing anything.
import type { CheckDef, Runbook, Step } from '../runbook/schema.js';
import { MASK, type Redactor } from '../runbook/redact.js';
import { parseDuration } from '../runbook/duration.js';
import type { RunState, StepStatus } from '../state/run-state.js';
import { DONE } from '../state/run-state.js';
import { phaseState, stepState, gateStatus, phaseBlocker } from './rules.js';
import { waitView } from './wait-words.js';
import { signoffHistoryLine } from './wording.js';
import { outputRulesText } from './output-judge.js';
import { substituteDeep } from '../runbook/values.js';
import { recordedValue } from './run-values.js';

export interface PlanStep {
  id: string;
  kind: Step['kind'];
  title: string;
  status: StepStatus;
  /** why it was skipped or marked done */
  reason?: string;
  /** what will happen: the command exactly as it will run (secrets masked), the check, the edit */
  action: string;
  destructive?: boolean;
  pointOfNoReturn?: string;
  notBefore?: string;
  waitNote?: string;
  /** "judged by its output: expects /…/ · fails on /…/" */
  judgedBy?: string;
}

export interface PlanPhase {
  id: string;
  title: string;
  status: string;
  blockedBy?: string;
  gate: Array<{ checkId: string; status: string }>;
  rollback?: string;
  pointOfNoReturn?: string;
  steps: PlanStep[];
}

/** A check as one line: its type and parameters (long SQL folded), secrets masked. */
export function describeCheck(id: string, def: CheckDef | undefined, redactor: Redactor): string {
  if (!def) return `check ${id}`;
  const short = (v: unknown): string => {
    // masked before it is cut short: a cut can split a secret past recognition
    // whole: a query or a rule the operator must read is never cut (screens wrap it)
    return redactor.redact(typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : JSON.stringify(v));
  };
  const params = Object.entries(def.params ?? {}).map(([k, v]) => `${k}=${short(v)}`);
  const baseline =
    def.baseline === 'record' ? ['records a baseline'] : def.baseline ? [`compared with ${def.baseline.compare}`] : [];
  return redactor.redact(
    [`check ${id} (${def.type}${def.connection ? ` on ${def.connection}` : ''})`, ...params, ...baseline].join(' · '),
  );
}

export function describeStep(step: Step, redactor: Redactor, checks?: Runbook['checks']): string {
  switch (step.kind) {
    case 'command':
      return redactor.redact(
        `${stepCommandLine(step, redactor)}${step.cwd ? `   (in ${step.cwd})` : ''}` +
          `${step.timeout ? `   timeout ${step.timeout}` : ''}`,
      );
    case 'check':
      return checks ? describeCheck(step.check, checks[step.check], redactor) : `check ${step.check}`;
    case 'edit-env':
      return redactor.redact(
        `set ${Object.entries(step.set)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')} in ${step.file}`,
      );
    case 'wait':
      return `wait ${step.duration} after ${step.after.replace(':', ' ')}`;
    case 'manual':
      return 'operator confirms';
    case 'signoff':
      return 'operator signs off the phase';
  }
}

/**
 * A command step as one would type it in sh, secrets masked: env assignments first,
 * a shell string quoted after `sh -c`, so the line can be copied and run.
 */
export function stepCommandLine(step: Extract<Step, { kind: 'command' }>, redactor: Redactor): string {
  const mask = (t: string) => redactor.redact(t);
  const cmd =
    step.shell && typeof step.run === 'string' ? `sh -c ${shellQuote(mask(step.run))}` : commandLine(step.run, mask);
  const env = step.env
    ? Object.entries(step.env)
        .map(([k, v]) => `${k}=${shellQuote(mask(v))}`)
        .join(' ') + ' '
    : '';
  return mask(`${env}${cmd}`);
}

/**
 * A command as a shell line: a string as written, an argument list quoted for sh.
 * Each piece is masked before it is quoted: quoting a secret that holds a quote
 * would change its text and let it slip past the redactor.
 */
export function commandLine(run: string | string[], mask: (s: string) => string = (s) => s): string {
  return typeof run === 'string' ? mask(run) : run.map((a) => shellQuote(mask(a))).join(' ');
}

function shellQuote(arg: string): string {
  if (arg === MASK) return arg;
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function buildPlan(
  rb: Runbook,
  state: RunState,
  redactor: Redactor,
  now: Date,
  onlyPhase?: string,
): PlanPhase[] {
  return rb.phases
    .filter((p) => !onlyPhase || p.id === onlyPhase)
    .map((p) => {
      const ps = phaseState(state, p.id);
      return {
        id: p.id,
        title: p.title,
        status:
          ps.status === 'signed-off' || ps.history?.length ? `${ps.status}: ${signoffHistoryLine(ps)}` : ps.status,
        blockedBy: ps.status === 'signed-off' ? undefined : phaseBlocker(rb, state, p.id),
        gate: gateStatus(rb, state, p.id).map((g) => ({
          checkId: g.checkId,
          status: g.status === 'overridden' ? `overridden by ${g.override?.operator}: ${g.override?.reason}` : g.status,
        })),
        rollback: p.rollback,
        pointOfNoReturn: p.point_of_no_return,
        steps: p.steps.map((s) => {
          const st = stepState(state, p.id, s.id);
          const out: PlanStep = {
            id: s.id,
            kind: s.kind,
            title: s.title,
            status: st.status,
            reason: st.reason,
            // with the values the run has recorded written in (a secret one stays a reference)
            action: describeStep(
              substituteDeep(s, (ref) => recordedValue(rb, state, ref, p.id)),
              redactor,
              rb.checks,
            ),
          };
          if (s.destructive) out.destructive = true;
          const judged = outputRulesText(s);
          if (judged) out.judgedBy = judged;
          if (s.point_of_no_return) out.pointOfNoReturn = s.point_of_no_return;
          if (s.kind === 'wait' && !DONE.has(st.status)) {
            const w = waitView(rb, state, s, now);
            out.notBefore = w.notBefore?.toISOString();
            out.waitNote =
              w.state === 'not-started'
                ? `${w.short} (then ${s.duration}, ${(parseDuration(s.duration) ?? 0) / 3_600_000} h)`
                : w.short;
            if (s.overridable === false) out.waitNote += '; cannot be passed early';
          }
          return out;
        }),
      };
    });
}

export function formatPlan(plan: PlanPhase[]): string[] {
  const lines: string[] = [];
  for (const p of plan) {
    lines.push(`${p.title}  [${p.status}]${p.blockedBy ? `  — waits: ${p.blockedBy}` : ''}`);
    if (p.pointOfNoReturn) lines.push(`  ⚠ POINT OF NO RETURN: ${p.pointOfNoReturn}`);
    for (const s of p.steps) {
      const mark = DONE.has(s.status) ? '✔' : s.status === 'failed' ? '✗' : s.status === 'interrupted' ? '!' : '·';
      lines.push(
        `  ${mark} ${s.id} (${s.kind}) ` +
          `${s.title}${s.status !== 'pending' ? `  [${s.status}${s.reason ? `: ${s.reason}` : ''}]` : ''}`,
      );
      lines.push(`      ${s.action}`);
      if (s.judgedBy) lines.push(`      ${s.judgedBy}`);
      if (s.destructive) lines.push('      ⚠ destructive: asks for a typed confirmation');
      if (s.pointOfNoReturn) lines.push(`      ⚠ POINT OF NO RETURN: ${s.pointOfNoReturn}`);
      if (s.waitNote) lines.push(`      ⏳ ${s.waitNote}${s.notBefore ? ` (not before ${s.notBefore})` : ''}`);
    }
    if (p.gate.length) lines.push(`  gate: ${p.gate.map((g) => `${g.checkId} (${g.status})`).join(', ')}`);
    if (p.rollback) lines.push(`  undone by rollback procedure: ${p.rollback}`);
    lines.push('');
  }
  return lines;
}

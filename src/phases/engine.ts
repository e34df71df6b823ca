// The engine: (runbook, state, event) → (state, effects). Pure: no I/O, no clock
// of its own, no Ink. The session runs the effects and feeds their results back.
// Every refusal comes from the rules (rules.ts); the engine only applies what they allow.
import type { Runbook } from '../runbook/schema.js';
import type { CheckResult } from '../checks/types.js';
import {
  attemptOf,
  DONE,
  stepKey,
  type RunState,
  type StepState,
  type OutputTailLine,
  type PhaseState,
} from '../state/run-state.js';
import type { ApprovalRecord, Attempt, SignoffSignature } from '../state/run-state.js';
import {
  rollbackProgress,
  can,
  findStep,
  findPhase,
  phaseState,
  stepState,
  reasonProblem,
  waitNotBefore,
  type Need,
  type RuleAction,
} from './rules.js';

export type EngineEvent =
  | {
      type: 'step.start';
      scope: string;
      stepId: string;
      confirmWord?: string;
      pnrConfirmed?: boolean;
      auto?: boolean;
      /** the operator confirmed running again a step that is done */
      rerun?: boolean;
    }
  | {
      type: 'step.confirm';
      scope: string;
      stepId: string;
      note?: string;
      auto?: boolean;
      confirmWord?: string;
      pnrConfirmed?: boolean;
      rerun?: boolean;
    }
  | {
      type: 'step.finished';
      scope: string;
      stepId: string;
      ok: boolean;
      exitCode?: number | null;
      durationMs?: number;
      outputTail?: OutputTailLine[];
      command?: string;
      message?: string;
      check?: CheckResult;
      interrupted?: boolean;
    }
  | { type: 'step.skip'; scope: string; stepId: string; reason: string }
  | { type: 'step.mark-done'; scope: string; stepId: string; reason: string }
  | { type: 'wait.override'; scope: string; stepId: string; reason: string }
  | { type: 'check.result'; result: CheckResult; record?: boolean }
  | { type: 'gate.override'; phaseId: string; checkId: string; reason: string }
  | { type: 'phase.signoff'; phaseId: string; statement?: string; auto?: boolean }
  | { type: 'phase.signature'; phaseId: string; signature: SignoffSignature }
  | { type: 'phase.reopen'; phaseId: string; reason: string }
  /** another person's signed approval of the sign-off in force (a phase with `approvals` > 1) */
  | { type: 'phase.approve'; phaseId: string; approval: ApprovalRecord }
  | { type: 'drift.ack' }
  /** steps left running by a session that died are interrupted, but for those whose process still runs */
  | { type: 'recover'; keep?: string[]; host?: string }
  /** an operator confirms that a step left running on another host has stopped there */
  | { type: 'step.confirm-stopped'; scope: string; stepId: string; reason: string }
  | { type: 'step.process'; scope: string; stepId: string; pid: number; host: string }
  | { type: 'report.recorded'; phaseId: string; digest: string }
  /** a rollback procedure begun and given up: it stops being shown as in progress; its steps stay as they are */
  | { type: 'rollback.abandon'; procedureId: string; reason: string };

export type Effect =
  | { type: 'run-command'; scope: string; stepId: string }
  | { type: 'run-check'; scope: string; stepId: string; checkId: string }
  | { type: 'edit-env'; scope: string; stepId: string }
  /** a phase was signed off: sign the sign-off and the audit chain head with the operator's key */
  | { type: 'sign-phase'; phaseId: string };

export interface EngineContext {
  now: Date;
  operator: string;
}

export type Outcome = { ok: true; state: RunState; effects: Effect[]; note?: string } | { ok: false; error: string };

const refuse = (error: string): Outcome => ({ ok: false, error });

function touch(state: RunState, now: Date): RunState {
  return { ...state, updatedAt: now.toISOString(), seq: state.seq + 1 };
}

function withStep(state: RunState, scope: string, stepId: string, patch: Partial<StepState>): RunState {
  const key = stepKey(scope, stepId);
  const prev = state.steps[key] ?? { status: 'pending' };
  return { ...state, steps: { ...state.steps, [key]: { ...prev, ...patch } }, cursor: { scope, stepId } };
}

/** Ends an attempt: the step takes the outcome, and the outcome joins the step's history. */
function endAttempt(
  state: RunState,
  scope: string,
  stepId: string,
  patch: Partial<StepState>,
  early?: Attempt['early'],
): RunState {
  const s = withStep(state, scope, stepId, patch);
  const st = s.steps[stepKey(scope, stepId)];
  const attempt: Attempt = early ? { ...attemptOf(st), early } : attemptOf(st);
  return withStep(s, scope, stepId, { history: [...(st.history ?? []), attempt] });
}

function withPhase(state: RunState, id: string, patch: Partial<PhaseState>): RunState {
  return { ...state, phases: { ...state.phases, [id]: { ...phaseState(state, id), ...patch } } };
}

/** Acting on a step of a phase starts the phase. */
function activate(rb: Runbook, state: RunState, scope: string, now: string): RunState {
  const phase = findPhase(rb, scope);
  if (!phase || phaseState(state, phase.id).status !== 'pending') return state;
  return withPhase(state, phase.id, { status: 'active', startedAt: now });
}

/** The first need the event does not satisfy, as a refusal sentence. */
function unmet(
  needs: Need[],
  given: { reason?: string; confirmWord?: string; pnrConfirmed?: boolean; auto?: boolean; rerun?: boolean },
): string | undefined {
  for (const n of needs) {
    // never by --yes: accepting what comes next is not deciding to repeat what is done
    if (n.kind === 'rerun' && !given.rerun) return `${n.text} Confirm the re-run to go on`;
    if (n.kind === 'reason') {
      const bad = reasonProblem(given.reason);
      if (bad) return bad;
    }
    if (n.kind === 'pnr' && !given.pnrConfirmed && !given.auto)
      return `point of no return: ${n.text} — confirm to go on`;
    if (n.kind === 'confirm-word' && !given.auto && given.confirmWord !== n.word)
      return `${n.prompt.replace(/\.$/, '')}: type ${n.word} to go on`;
  }
  return undefined;
}

export function reduce(rb: Runbook, state: RunState, event: EngineEvent, ctx: EngineContext): Outcome {
  const now = ctx.now.toISOString();
  const ok = (s: RunState, effects: Effect[] = [], note?: string): Outcome => ({
    ok: true,
    state: touch(s, ctx.now),
    effects,
    note,
  });
  /** Why the rules refuse the action, or what it needs and the event does not bring; undefined when it may go on. */
  const refusal = (action: RuleAction, given: Parameters<typeof unmet>[1] = {}): string | undefined => {
    const v = can(rb, state, action, ctx.now);
    return v.ok ? unmet(v.needs, given) : v.why;
  };
  switch (event.type) {
    case 'recover': {
      // A step left running by a process that died is interrupted, never silently passed.
      let s = state;
      const keep = new Set(event.keep ?? []);
      const keys = Object.entries(state.steps)
        .filter(([k, st]) => st.status === 'running' && !keep.has(k))
        .map(([k]) => k);
      for (const key of keys) {
        const i = key.lastIndexOf('/');
        const proc = state.steps[key].process;
        // another host's process cannot be seen from here: it may still run, and says so until confirmed
        const elsewhere = proc && event.host && proc.host !== event.host ? proc : undefined;
        const message = elsewhere
          ? `Waymark on ${elsewhere.host} stopped while this step ran there (process group ${elsewhere.pid}); ` +
            'it may still be running there'
          : proc
            ? 'Waymark stopped while this step was running; its process has ended since, and how it ended was not seen'
            : 'Waymark stopped while this step was running';
        s = endAttempt(s, key.slice(0, i), key.slice(i + 1), {
          status: 'interrupted',
          finishedAt: now,
          message,
          process: undefined,
          elsewhere,
        });
      }
      return keys.length ? ok(s, [], `${keys.length} interrupted step(s)`) : { ok: true, state, effects: [] };
    }
    case 'step.confirm-stopped': {
      const no = refusal({ type: 'confirm-stopped', scope: event.scope, stepId: event.stepId }, event);
      if (no) return refuse(no);
      const cur = stepState(state, event.scope, event.stepId);
      const was = cur.elsewhere!;
      const message =
        `${ctx.operator} confirmed it is no longer running on ${was.host} (process group ${was.pid}): ` +
        event.reason.trim();
      // the attempt that was interrupted there carries the confirmation, for the report
      const history = [...(cur.history ?? [])];
      const last = history.pop();
      if (last) history.push({ ...last, confirmedStopped: { by: ctx.operator, at: now, reason: event.reason.trim() } });
      return ok(withStep(state, event.scope, event.stepId, { elsewhere: undefined, message, history }));
    }
    case 'drift.ack': {
      if (!state.drift || state.drift.acknowledgedAt) return refuse('there is no runbook change to acknowledge');
      return ok({
        ...state,
        runbookHash: state.drift.hash,
        drift: { ...state.drift, acknowledgedBy: ctx.operator, acknowledgedAt: now },
      });
    }
    case 'step.start': {
      const no = refusal({ type: 'start', scope: event.scope, stepId: event.stepId }, event);
      if (no) return refuse(no);
      const step = findStep(rb, event.scope, event.stepId)!;
      const cur = stepState(state, event.scope, step.id);
      const s = activate(rb, state, event.scope, now);
      const base = {
        startedAt: now,
        operator: ctx.operator,
        attempts: (cur.attempts ?? 0) + 1,
        reason: undefined,
        message: undefined,
        finishedAt: undefined,
        rerunOf: DONE.has(cur.status) ? cur.status : undefined,
      };
      const run = (effect: Effect, extra: Partial<StepState> = {}) =>
        ok(
          withStep(s, event.scope, step.id, {
            ...base,
            status: 'running',
            autoConfirmed: event.auto || undefined,
            ...extra,
          }),
          [effect],
        );
      switch (step.kind) {
        case 'manual':
          if (!event.auto) return ok(withStep(s, event.scope, step.id, { ...base, status: 'pending' }));
          return reduce(rb, s, { type: 'step.confirm', scope: event.scope, stepId: step.id, auto: true }, ctx);
        case 'wait': {
          const nb = waitNotBefore(rb, s, step)!;
          return ok(
            endAttempt(s, event.scope, step.id, {
              ...base,
              status: 'passed',
              finishedAt: now,
              message: `waited until ${nb.toISOString()}`,
            }),
          );
        }
        case 'signoff':
          return reduce(
            rb,
            s,
            { type: 'phase.signoff', phaseId: event.scope, statement: step.statement, auto: event.auto },
            ctx,
          );
        case 'command':
          return run({ type: 'run-command', scope: event.scope, stepId: step.id });
        case 'check':
          return run(
            { type: 'run-check', scope: event.scope, stepId: step.id, checkId: step.check },
            { checkId: step.check, autoConfirmed: undefined },
          );
        case 'edit-env':
          return run({ type: 'edit-env', scope: event.scope, stepId: step.id });
      }
      return refuse('unknown step kind');
    }
    case 'step.confirm': {
      const step = findStep(rb, event.scope, event.stepId);
      if (!step) return refuse(`unknown step "${event.scope}/${event.stepId}"`);
      if (step.kind !== 'manual') return refuse(`"${step.title}" is not a manual step`);
      const no = refusal({ type: 'start', scope: event.scope, stepId: step.id }, event);
      if (no) return refuse(no);
      const s = activate(rb, state, event.scope, now);
      const prev = stepState(s, event.scope, step.id);
      const message = event.note ?? (event.auto ? 'accepted by --yes' : 'confirmed by the operator');
      const again = DONE.has(prev.status) && prev.finishedAt;
      return ok(
        endAttempt(s, event.scope, step.id, {
          rerunOf: again ? prev.status : undefined,
          startedAt: again ? now : (prev.startedAt ?? now),
          status: 'passed',
          finishedAt: now,
          operator: ctx.operator,
          autoConfirmed: event.auto || undefined,
          reason: undefined,
          message,
        }),
      );
    }
    case 'step.finished': {
      const cur = stepState(state, event.scope, event.stepId);
      if (cur.status !== 'running') return refuse(`step ${event.stepId} is not running`);
      let s = endAttempt(state, event.scope, event.stepId, {
        process: undefined,
        status: event.interrupted ? 'interrupted' : event.ok ? 'passed' : 'failed',
        finishedAt: now,
        exitCode: event.exitCode,
        durationMs: event.durationMs,
        outputTail: event.outputTail,
        command: event.command ?? cur.command,
        message: event.message,
        check: event.check,
      });
      if (event.check) s = recordCheck(rb, s, event.check);
      return ok(s);
    }
    case 'check.result':
      return ok(recordCheck(rb, state, event.result));
    case 'step.skip':
    case 'step.mark-done':
    case 'wait.override': {
      const type =
        event.type === 'step.skip' ? 'skip' : event.type === 'step.mark-done' ? 'mark-done' : 'pass-wait-early';
      const no = refusal({ type, scope: event.scope, stepId: event.stepId }, event);
      if (no) return refuse(no);
      const step = findStep(rb, event.scope, event.stepId)!;
      const cur = stepState(state, event.scope, step.id);
      const s = activate(rb, state, event.scope, now);
      const status = event.type === 'step.skip' ? 'skipped' : 'overridden';
      const nb = type === 'pass-wait-early' ? waitNotBefore(rb, state, step) : undefined;
      const message =
        type === 'pass-wait-early'
          ? `passed early${nb ? `, before ${nb.toISOString()}` : ', before its clock started'}`
          : undefined;
      const patch = {
        status,
        reason: event.reason.trim(),
        operator: ctx.operator,
        finishedAt: now,
        startedAt: cur.startedAt ?? now,
        message,
      } as const;
      return ok(
        endAttempt(
          s,
          event.scope,
          step.id,
          patch,
          type === 'pass-wait-early' ? { notBefore: nb?.toISOString() } : undefined,
        ),
      );
    }
    case 'gate.override': {
      const no = refusal({ type: 'override-gate', phaseId: event.phaseId, checkId: event.checkId }, event);
      if (no) return refuse(no);
      const ps = phaseState(state, event.phaseId);
      const overrides = [
        ...ps.overrides.filter((o) => o.checkId !== event.checkId),
        { checkId: event.checkId, operator: ctx.operator, reason: event.reason.trim(), at: now },
      ];
      const status = ps.status === 'pending' ? 'active' : ps.status;
      return ok(withPhase(state, event.phaseId, { overrides, status, startedAt: ps.startedAt ?? now }));
    }
    case 'phase.signoff': {
      const no = refusal({ type: 'signoff', phaseId: event.phaseId });
      if (no) return refuse(no);
      const phase = findPhase(rb, event.phaseId)!;
      const ps = phaseState(state, phase.id);
      const statement = event.statement ?? `I confirm "${phase.title}" is complete.`;
      const record = {
        kind: 'signed-off' as const,
        by: ctx.operator,
        at: now,
        statement,
        auto: event.auto || undefined,
      };
      let s = withPhase(state, phase.id, {
        status: 'signed-off',
        signedOffAt: now,
        signedOffBy: ctx.operator,
        statement,
        history: [...(ps.history ?? []), record],
      });
      const so = phase.steps.find((x) => x.kind === 'signoff');
      if (so)
        s = endAttempt(s, phase.id, so.id, {
          status: 'passed',
          startedAt: now,
          finishedAt: now,
          operator: ctx.operator,
          autoConfirmed: event.auto || undefined,
          message: 'signed off',
        });
      return ok(s, [{ type: 'sign-phase', phaseId: phase.id }]);
    }
    case 'phase.signature': {
      // attaches the signature to the sign-off it signs: the latest, still in force
      const ps = phaseState(state, event.phaseId);
      const history = [...(ps.history ?? [])];
      const last = history[history.length - 1];
      if (ps.status !== 'signed-off' || last?.kind !== 'signed-off')
        return refuse('there is no sign-off in force to attach a signature to');
      history[history.length - 1] = { ...last, signature: event.signature };
      return ok(withPhase(state, event.phaseId, { history }));
    }
    case 'phase.approve': {
      const { by, keyFingerprint } = event.approval;
      const no = refusal({ type: 'approve', phaseId: event.phaseId, by, keyFingerprint });
      if (no) return refuse(no);
      const ps = phaseState(state, event.phaseId);
      const history = [...(ps.history ?? [])];
      const last = history[history.length - 1];
      history[history.length - 1] = { ...last, approvals: [...(last.approvals ?? []), event.approval] };
      return ok(withPhase(state, event.phaseId, { history }));
    }
    case 'phase.reopen': {
      const no = refusal({ type: 'reopen', phaseId: event.phaseId }, event);
      if (no) return refuse(no);
      const phase = findPhase(rb, event.phaseId)!;
      const ps = phaseState(state, phase.id);
      // the sign-off is voided, never deleted: it stays in the history with the overrides it rested on
      const record = {
        kind: 'reopened' as const,
        by: ctx.operator,
        at: now,
        reason: event.reason.trim(),
        voidedOverrides: ps.overrides.length ? ps.overrides : undefined,
      };
      let s = withPhase(state, phase.id, {
        status: 'active',
        signedOffAt: undefined,
        signedOffBy: undefined,
        statement: undefined,
        reportDigest: undefined,
        overrides: [],
        reopenedAt: now,
        history: [...(ps.history ?? []), record],
      });
      const so = phase.steps.find((x) => x.kind === 'signoff');
      if (so) s = withStep(s, phase.id, so.id, { status: 'pending', finishedAt: undefined });
      return ok(s);
    }
    case 'step.process': {
      // where the step's process runs: a later session must not start a second copy while it lives
      if (stepState(state, event.scope, event.stepId).status !== 'running')
        return refuse(`step ${event.stepId} is not running`);
      return ok(withStep(state, event.scope, event.stepId, { process: { pid: event.pid, host: event.host } }));
    }
    case 'report.recorded':
      return ok(withPhase(state, event.phaseId, { reportDigest: event.digest }));
    case 'rollback.abandon': {
      const no = refusal({ type: 'abandon-rollback', procedureId: event.procedureId }, event);
      if (no) return refuse(no);
      const p = rollbackProgress(rb, state, event.procedureId)!;
      const entry = { by: ctx.operator, at: now, reason: event.reason.trim(), stepsDone: p.done };
      const abandoned = { ...state.abandoned, [p.id]: [...(state.abandoned?.[p.id] ?? []), entry] };
      return ok({ ...state, abandoned });
    }
  }
}

function recordCheck(rb: Runbook, state: RunState, result: CheckResult): RunState {
  const def = rb.checks[result.id];
  let s: RunState = { ...state, checks: { ...state.checks, [result.id]: result } };
  if (def?.baseline === 'record' && (result.status === 'pass' || result.status === 'warn'))
    s = {
      ...s,
      baselines: { ...s.baselines, [result.id]: { at: result.startedAt, checkId: result.id, metrics: result.metrics } },
    };
  return s;
}

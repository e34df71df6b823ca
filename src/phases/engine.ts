// The engine: (runbook, state, event) → (state, effects). Pure: no I/O, no clock
// of its own, no Ink. The session runs the effects and feeds their results back.
import type { Runbook, Step, Phase } from '../runbook/schema.js';
import type { CheckResult } from '../checks/types.js';
import { parseDuration } from '../runbook/duration.js';
import { DONE, stepKey, type RunState, type StepState, type OutputTailLine, type PhaseState } from './state.js';

export type EngineEvent =
  | { type: 'step.start'; scope: string; stepId: string; confirmWord?: string; pnrConfirmed?: boolean; auto?: boolean }
  | { type: 'step.confirm'; scope: string; stepId: string; note?: string; auto?: boolean }
  | { type: 'step.finished'; scope: string; stepId: string; ok: boolean; exitCode?: number | null; durationMs?: number; outputTail?: OutputTailLine[]; command?: string; message?: string; check?: CheckResult; interrupted?: boolean }
  | { type: 'step.skip'; scope: string; stepId: string; reason: string }
  | { type: 'step.mark-done'; scope: string; stepId: string; reason: string }
  | { type: 'check.result'; result: CheckResult; record?: boolean }
  | { type: 'gate.override'; phaseId: string; checkId: string; reason: string }
  | { type: 'phase.signoff'; phaseId: string; statement?: string; auto?: boolean }
  | { type: 'drift.ack' }
  | { type: 'recover' }
  | { type: 'report.recorded'; phaseId: string; digest: string };

export type Effect =
  | { type: 'run-command'; scope: string; stepId: string }
  | { type: 'run-check'; scope: string; stepId: string; checkId: string }
  | { type: 'edit-env'; scope: string; stepId: string };

export interface EngineContext {
  now: Date;
  operator: string;
}

export type Outcome = { ok: true; state: RunState; effects: Effect[]; note?: string } | { ok: false; error: string };

const refuse = (error: string): Outcome => ({ ok: false, error });

/** A reason has to be a real sentence: a few words, not "ok" or "x". */
export function reasonProblem(reason: string | undefined): string | undefined {
  const r = (reason ?? '').trim();
  if (r.length < 12 || r.split(/\s+/).length < 3) return 'give a reason of at least three words (12+ characters) that a colleague would understand';
  return undefined;
}

export function scopeSteps(rb: Runbook, scope: string): Step[] | undefined {
  if (scope.startsWith('rollback:')) return rb.rollback.find((r) => r.id === scope.slice(9))?.steps;
  if (scope.startsWith('troubleshooting:')) return rb.troubleshooting.find((t) => t.id === scope.slice(16))?.diagnostics;
  if (scope.startsWith('maintenance:')) return rb.maintenance[scope.slice(12)];
  return rb.phases.find((p) => p.id === scope)?.steps;
}

export function findStep(rb: Runbook, scope: string, stepId: string): Step | undefined {
  return scopeSteps(rb, scope)?.find((s) => s.id === stepId);
}

export function phaseState(state: RunState, id: string): PhaseState {
  return state.phases[id] ?? { status: 'pending', overrides: [] };
}

export function stepState(state: RunState, scope: string, stepId: string): StepState {
  return state.steps[stepKey(scope, stepId)] ?? { status: 'pending' };
}

function phaseDone(rb: Runbook, state: RunState, phase: Phase): boolean {
  return phaseState(state, phase.id).status === 'signed-off';
}

/** Why a phase cannot start yet, or undefined when it can. */
export function phaseBlocker(rb: Runbook, state: RunState, phaseId: string): string | undefined {
  const i = rb.phases.findIndex((p) => p.id === phaseId);
  if (i < 0) return `unknown phase "${phaseId}"`;
  const phase = rb.phases[i];
  if (phase.independent || i === 0) return undefined;
  const prev = rb.phases[i - 1];
  if (!phaseDone(rb, state, prev)) return `"${prev.title}" must be signed off first`;
  return undefined;
}

/** When a wait step may pass, from recorded events; undefined while its start event has not happened. */
export function waitNotBefore(rb: Runbook, state: RunState, step: Step): Date | undefined {
  if (step.kind !== 'wait') return undefined;
  const ms = parseDuration(step.duration) ?? 0;
  const [kind, ref] = [step.after.slice(0, step.after.indexOf(':')), step.after.slice(step.after.indexOf(':') + 1)];
  let at: string | undefined;
  if (kind === 'phase') at = state.phases[ref]?.signedOffAt;
  else {
    const s = state.steps[ref];
    at = s && DONE.has(s.status) ? s.finishedAt : undefined;
  }
  return at ? new Date(Date.parse(at) + ms) : undefined;
}

/** "phase:ID" / "step:P/S" in words, for screens: the phase's or the step's title. */
export function describeAfter(rb: Runbook, after: string): string {
  const i = after.indexOf(':');
  const kind = after.slice(0, i);
  const ref = after.slice(i + 1);
  if (kind === 'phase') return `"${rb.phases.find((p) => p.id === ref)?.title ?? ref}" is signed off`;
  const j = ref.lastIndexOf('/');
  const step = findStep(rb, ref.slice(0, j), ref.slice(j + 1));
  return `"${step?.title ?? ref}" is done`;
}

export function formatRemaining(ms: number): string {
  if (ms <= 0) return 'now';
  const m = Math.ceil(ms / 60000);
  const hours = Math.floor(m / 60);
  const mm = m % 60;
  // Days only from two days on: "23 h 59 m" reads better than "1 d 0 h".
  if (hours >= 48) return `${Math.floor(hours / 24)} d ${hours % 24} h`;
  if (hours) return `${hours} h ${mm} m`;
  return `${mm} m`;
}

/** Gate status per check: passed in this phase, overridden, or open. */
export function gateStatus(rb: Runbook, state: RunState, phaseId: string): Array<{ checkId: string; status: 'passed' | 'overridden' | 'failed' | 'not-run'; result?: CheckResult; override?: { operator: string; reason: string } }> {
  const phase = rb.phases.find((p) => p.id === phaseId);
  if (!phase) return [];
  const ps = phaseState(state, phaseId);
  return phase.gate.map((checkId) => {
    const override = ps.overrides.find((o) => o.checkId === checkId);
    const result = state.checks[checkId];
    const fresh = result && ps.startedAt && result.startedAt >= ps.startedAt ? result : undefined;
    if (fresh && (fresh.status === 'pass' || fresh.status === 'warn')) return { checkId, status: 'passed', result: fresh };
    if (override) return { checkId, status: 'overridden', result: fresh, override };
    return { checkId, status: fresh ? 'failed' : 'not-run', result: fresh };
  });
}

/** Why a phase cannot be signed off, or undefined. */
export function signoffBlocker(rb: Runbook, state: RunState, phaseId: string): string | undefined {
  const phase = rb.phases.find((p) => p.id === phaseId);
  if (!phase) return `unknown phase "${phaseId}"`;
  const ps = phaseState(state, phaseId);
  if (ps.status === 'signed-off') return `"${phase.title}" is already signed off`;
  const blocked = phaseBlocker(rb, state, phaseId);
  if (blocked) return blocked;
  const open = phase.steps.filter((s) => s.kind !== 'signoff' && !s.optional && !DONE.has(stepState(state, phaseId, s.id).status));
  if (open.length) return `steps not done: ${open.map((s) => s.id).join(', ')}`;
  const gate = gateStatus(rb, state, phaseId).filter((g) => g.status === 'failed' || g.status === 'not-run');
  if (gate.length) return `gate checks not passed: ${gate.map((g) => `${g.checkId} (${g.status === 'failed' ? g.result?.status : 'not run'})`).join(', ')} — re-run them or override with a reason`;
  return undefined;
}

function touch(state: RunState, now: Date): RunState {
  return { ...state, updatedAt: now.toISOString(), seq: state.seq + 1 };
}

function withStep(state: RunState, scope: string, stepId: string, patch: Partial<StepState>): RunState {
  const key = stepKey(scope, stepId);
  const prev = state.steps[key] ?? { status: 'pending' };
  return { ...state, steps: { ...state.steps, [key]: { ...prev, ...patch } }, cursor: { scope, stepId } };
}

function withPhase(state: RunState, id: string, patch: Partial<PhaseState>): RunState {
  return { ...state, phases: { ...state.phases, [id]: { ...phaseState(state, id), ...patch } } };
}

/**
 * A step of a phase can be acted on only once the phase may start; acting on it
 * starts the phase. Returns the state with the phase active, or why not.
 */
function enterScope(rb: Runbook, state: RunState, scope: string, now: string): RunState | string {
  const phase = rb.phases.find((p) => p.id === scope);
  if (!phase) return state;
  const blocked = phaseBlocker(rb, state, scope);
  if (blocked) return blocked;
  return phaseState(state, phase.id).status === 'pending' ? withPhase(state, phase.id, { status: 'active', startedAt: now }) : state;
}

function isPhaseScope(rb: Runbook, scope: string): boolean {
  return rb.phases.some((p) => p.id === scope);
}

export function reduce(rb: Runbook, state: RunState, event: EngineEvent, ctx: EngineContext): Outcome {
  const now = ctx.now.toISOString();
  switch (event.type) {
    case 'recover': {
      // A step left running by a process that died is interrupted, never silently passed.
      let s = state;
      let n = 0;
      for (const [key, st] of Object.entries(state.steps)) {
        if (st.status === 'running') {
          s = { ...s, steps: { ...s.steps, [key]: { ...st, status: 'interrupted', finishedAt: now, message: 'Waymark stopped while this step was running' } } };
          n++;
        }
      }
      return { ok: true, state: n ? touch(s, ctx.now) : s, effects: [], note: n ? `${n} interrupted step(s)` : undefined };
    }
    case 'drift.ack': {
      if (!state.drift || state.drift.acknowledgedAt) return refuse('there is no runbook change to acknowledge');
      return { ok: true, state: touch({ ...state, runbookHash: state.drift.hash, drift: { ...state.drift, acknowledgedBy: ctx.operator, acknowledgedAt: now } }, ctx.now), effects: [] };
    }
    case 'step.start': {
      if (state.drift && !state.drift.acknowledgedAt) return refuse('the runbook changed since this run began; review and acknowledge the changes first');
      const step = findStep(rb, event.scope, event.stepId);
      if (!step) return refuse(`unknown step "${event.scope}/${event.stepId}"`);
      const cur = stepState(state, event.scope, event.stepId);
      if (cur.status === 'running') return refuse(`${step.title} is already running`);
      if (isPhaseScope(rb, event.scope)) {
        const blocked = phaseBlocker(rb, state, event.scope);
        if (blocked) return refuse(`cannot start "${step.title}": ${blocked}`);
        if (phaseState(state, event.scope).status === 'signed-off') return refuse('this phase is already signed off');
        const steps = scopeSteps(rb, event.scope)!;
        const idx = steps.findIndex((s) => s.id === step.id);
        const before = steps.slice(0, idx).find((s) => s.kind !== 'signoff' && !s.optional && !DONE.has(stepState(state, event.scope, s.id).status));
        if (before) return refuse(`do "${before.title}" first (steps run in order)`);
      }
      const phase = rb.phases.find((p) => p.id === event.scope);
      const pnr = step.point_of_no_return ?? (phase && steps0(phase) === step.id ? phase.point_of_no_return : undefined);
      if (pnr && !event.pnrConfirmed && !event.auto) return refuse(`point of no return: ${pnr} — confirm to go on`);
      if (step.destructive && !event.auto) {
        const word = step.confirm_word ?? 'CONFIRM';
        if (event.confirmWord !== word) return refuse(`"${step.title}" is destructive: type ${word} to go on`);
      }
      let s = state;
      if (phase && phaseState(s, phase.id).status === 'pending') s = withPhase(s, phase.id, { status: 'active', startedAt: now });
      const base = { startedAt: now, operator: ctx.operator, attempts: (cur.attempts ?? 0) + 1, reason: undefined, message: undefined, finishedAt: undefined };
      switch (step.kind) {
        case 'manual':
          if (!event.auto) return { ok: true, state: touch(withStep(s, event.scope, step.id, { ...base, status: 'pending' }), ctx.now), effects: [] };
          return reduce(rb, s, { type: 'step.confirm', scope: event.scope, stepId: step.id, auto: true }, ctx);
        case 'wait': {
          const nb = waitNotBefore(rb, s, step);
          if (!nb) return refuse(`"${step.title}" waits for ${step.after.replace(':', ' ')} to finish, which has not happened yet`);
          if (nb > ctx.now) return refuse(`"${step.title}" is available in ${formatRemaining(nb.getTime() - ctx.now.getTime())} (not before ${nb.toISOString()})`);
          return { ok: true, state: touch(withStep(s, event.scope, step.id, { ...base, status: 'passed', finishedAt: now, message: `waited until ${nb.toISOString()}` }), ctx.now), effects: [] };
        }
        case 'signoff':
          if (!phase) return refuse('a sign-off step belongs in a phase');
          return reduce(rb, s, { type: 'phase.signoff', phaseId: phase.id, statement: step.statement, auto: event.auto }, ctx);
        case 'command':
          return { ok: true, state: touch(withStep(s, event.scope, step.id, { ...base, status: 'running', autoConfirmed: event.auto || undefined }), ctx.now), effects: [{ type: 'run-command', scope: event.scope, stepId: step.id }] };
        case 'check':
          return { ok: true, state: touch(withStep(s, event.scope, step.id, { ...base, status: 'running', checkId: step.check }), ctx.now), effects: [{ type: 'run-check', scope: event.scope, stepId: step.id, checkId: step.check }] };
        case 'edit-env':
          return { ok: true, state: touch(withStep(s, event.scope, step.id, { ...base, status: 'running', autoConfirmed: event.auto || undefined }), ctx.now), effects: [{ type: 'edit-env', scope: event.scope, stepId: step.id }] };
      }
      return refuse('unknown step kind');
    }
    case 'step.confirm': {
      const step = findStep(rb, event.scope, event.stepId);
      if (!step) return refuse(`unknown step "${event.scope}/${event.stepId}"`);
      if (step.kind !== 'manual') return refuse(`"${step.title}" is not a manual step`);
      const s = enterScope(rb, state, event.scope, now);
      if (typeof s === 'string') return refuse(s);
      const prev = stepState(s, event.scope, step.id);
      return {
        ok: true,
        state: touch(withStep(s, event.scope, step.id, { status: 'passed', startedAt: prev.startedAt ?? now, finishedAt: now, operator: ctx.operator, autoConfirmed: event.auto || undefined, message: event.note ?? (event.auto ? 'accepted by --yes' : 'confirmed by the operator') }), ctx.now),
        effects: [],
      };
    }
    case 'step.finished': {
      const cur = stepState(state, event.scope, event.stepId);
      if (cur.status !== 'running') return refuse(`step ${event.stepId} is not running`);
      let s = withStep(state, event.scope, event.stepId, {
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
      return { ok: true, state: touch(s, ctx.now), effects: [] };
    }
    case 'check.result':
      return { ok: true, state: touch(recordCheck(rb, state, event.result), ctx.now), effects: [] };
    case 'step.skip':
    case 'step.mark-done': {
      const step = findStep(rb, event.scope, event.stepId);
      if (!step) return refuse(`unknown step "${event.scope}/${event.stepId}"`);
      const bad = reasonProblem(event.reason);
      if (bad) return refuse(bad);
      const cur = stepState(state, event.scope, event.stepId);
      if (cur.status === 'running') return refuse(`"${step.title}" is running; stop it first`);
      const s = enterScope(rb, state, event.scope, now);
      if (typeof s === 'string') return refuse(s);
      return {
        ok: true,
        state: touch(withStep(s, event.scope, step.id, { status: event.type === 'step.skip' ? 'skipped' : 'overridden', reason: event.reason.trim(), operator: ctx.operator, finishedAt: now, startedAt: cur.startedAt ?? now }), ctx.now),
        effects: [],
      };
    }
    case 'gate.override': {
      const phase = rb.phases.find((p) => p.id === event.phaseId);
      if (!phase) return refuse(`unknown phase "${event.phaseId}"`);
      if (!phase.gate.includes(event.checkId)) return refuse(`"${event.checkId}" is not a gate check of ${phase.title}`);
      const bad = reasonProblem(event.reason);
      if (bad) return refuse(bad);
      const ps = phaseState(state, phase.id);
      const overrides = [...ps.overrides.filter((o) => o.checkId !== event.checkId), { checkId: event.checkId, operator: ctx.operator, reason: event.reason.trim(), at: now }];
      return { ok: true, state: touch(withPhase(state, phase.id, { overrides, status: ps.status === 'pending' ? 'active' : ps.status, startedAt: ps.startedAt ?? now }), ctx.now), effects: [] };
    }
    case 'phase.signoff': {
      const blocked = signoffBlocker(rb, state, event.phaseId);
      if (blocked) return refuse(`cannot sign off: ${blocked}`);
      const phase = rb.phases.find((p) => p.id === event.phaseId)!;
      let s = withPhase(state, phase.id, { status: 'signed-off', signedOffAt: now, signedOffBy: ctx.operator, statement: event.statement ?? `I confirm "${phase.title}" is complete.` });
      const so = phase.steps.find((x) => x.kind === 'signoff');
      if (so) s = withStep(s, phase.id, so.id, { status: 'passed', startedAt: now, finishedAt: now, operator: ctx.operator, autoConfirmed: event.auto || undefined });
      return { ok: true, state: touch(s, ctx.now), effects: [] };
    }
    case 'report.recorded':
      return { ok: true, state: touch(withPhase(state, event.phaseId, { reportDigest: event.digest }), ctx.now), effects: [] };
  }
}

function steps0(phase: Phase): string | undefined {
  return phase.steps[0]?.id;
}

function recordCheck(rb: Runbook, state: RunState, result: CheckResult): RunState {
  const def = rb.checks[result.id];
  let s: RunState = { ...state, checks: { ...state.checks, [result.id]: result } };
  if (def?.baseline === 'record' && (result.status === 'pass' || result.status === 'warn'))
    s = { ...s, baselines: { ...s.baselines, [result.id]: { at: result.startedAt, checkId: result.id, metrics: result.metrics } } };
  return s;
}

/** The next thing to do in a phase: the first step not done, or undefined when all are. */
export function nextStep(rb: Runbook, state: RunState, scope: string): Step | undefined {
  return scopeSteps(rb, scope)?.find((s) => !DONE.has(stepState(state, scope, s.id).status));
}

/** The phase the operator is in: the first not signed off. */
export function currentPhase(rb: Runbook, state: RunState): Phase | undefined {
  return rb.phases.find((p) => phaseState(state, p.id).status !== 'signed-off');
}

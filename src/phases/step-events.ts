// The engine's handlers for what happens to a step: started, confirmed, finished, skipped or
// passed by an override, its process recorded, interrupted by a session that died.
import { DONE, splitStepKey, stepKey, type StepState } from '../state/run-state.js';
import { findStep, stepState, waitNotBefore } from './rules.js';
import type { Effect, EventOf } from './events.js';
import {
  activate,
  endAttempt,
  recordCheck,
  refuse,
  unchanged,
  withStep,
  type Handlers,
  type Turn,
} from './engine-state.js';

/** A step left running by a process that died is interrupted, never silently passed. */
function recover(event: EventOf<'recover'>, t: Turn) {
  let s = t.state;
  const keep = new Set(event.keep ?? []);
  const keys = Object.entries(t.state.steps)
    .filter(([k, st]) => st.status === 'running' && !keep.has(k))
    .map(([k]) => k);
  for (const key of keys) {
    const { scope, stepId } = splitStepKey(key);
    const proc = t.state.steps[key].process;
    // another host's process cannot be seen from here: it may still run, and says so until confirmed
    const elsewhere = proc && event.host && proc.host !== event.host ? proc : undefined;
    const message = elsewhere
      ? `Waymark on ${elsewhere.host} stopped while this step ran there (process group ${elsewhere.pid}); ` +
        'it may still be running there'
      : proc
        ? 'Waymark stopped while this step was running; its process has ended since, and how it ended was not seen'
        : 'Waymark stopped while this step was running';
    s = endAttempt(s, scope, stepId, {
      status: 'interrupted',
      finishedAt: t.now,
      message,
      process: undefined,
      elsewhere,
    });
  }
  return keys.length ? t.ok(s, [], `${keys.length} interrupted step(s)`) : unchanged(t.state);
}

function confirmStopped(event: EventOf<'step.confirm-stopped'>, t: Turn) {
  const no = t.refusal({ type: 'confirm-stopped', scope: event.scope, stepId: event.stepId }, event);
  if (no) return no;
  const cur = stepState(t.state, event.scope, event.stepId);
  const was = cur.elsewhere!;
  const message =
    `${t.ctx.operator} confirmed it is no longer running on ${was.host} (process group ${was.pid}): ` +
    event.reason.trim();
  // the attempt that was interrupted there carries the confirmation, for the report
  const history = [...(cur.history ?? [])];
  const last = history.pop();
  if (last) history.push({ ...last, confirmedStopped: { by: t.ctx.operator, at: t.now, reason: event.reason.trim() } });
  return t.ok(withStep(t.state, event.scope, event.stepId, { elsewhere: undefined, message, history }));
}

function start(event: EventOf<'step.start'>, t: Turn) {
  const no = t.refusal({ type: 'start', scope: event.scope, stepId: event.stepId }, event);
  if (no) return no;
  const step = findStep(t.rb, event.scope, event.stepId)!;
  const cur = stepState(t.state, event.scope, step.id);
  const s = activate(t.rb, t.state, event.scope, t.now);
  const base = {
    startedAt: t.now,
    operator: t.ctx.operator,
    attempts: (cur.attempts ?? 0) + 1,
    reason: undefined,
    message: undefined,
    finishedAt: undefined,
    rerunOf: DONE.has(cur.status) ? cur.status : undefined,
  };
  const run = (effect: Effect, extra: Partial<StepState> = {}) =>
    t.ok(
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
      if (!event.auto) return t.ok(withStep(s, event.scope, step.id, { ...base, status: 'pending' }));
      return t.reduce(s, { type: 'step.confirm', scope: event.scope, stepId: step.id, auto: true });
    case 'wait': {
      const nb = waitNotBefore(t.rb, s, step)!;
      const message = `waited until ${nb.toISOString()}`;
      return t.ok(endAttempt(s, event.scope, step.id, { ...base, status: 'passed', finishedAt: t.now, message }));
    }
    case 'signoff':
      return t.reduce(s, { type: 'phase.signoff', phaseId: event.scope, statement: step.statement, auto: event.auto });
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

function confirm(event: EventOf<'step.confirm'>, t: Turn) {
  const step = findStep(t.rb, event.scope, event.stepId);
  if (!step) return refuse(`unknown step "${event.scope}/${event.stepId}"`);
  if (step.kind !== 'manual') return refuse(`"${step.title}" is not a manual step`);
  const no = t.refusal({ type: 'start', scope: event.scope, stepId: step.id }, event);
  if (no) return no;
  const s = activate(t.rb, t.state, event.scope, t.now);
  const prev = stepState(s, event.scope, step.id);
  const message = event.note ?? (event.auto ? 'accepted by --yes' : 'confirmed by the operator');
  const again = DONE.has(prev.status) && prev.finishedAt;
  return t.ok(
    endAttempt(s, event.scope, step.id, {
      rerunOf: again ? prev.status : undefined,
      startedAt: again ? t.now : (prev.startedAt ?? t.now),
      status: 'passed',
      finishedAt: t.now,
      operator: t.ctx.operator,
      autoConfirmed: event.auto || undefined,
      reason: undefined,
      message,
    }),
  );
}

function finished(event: EventOf<'step.finished'>, t: Turn) {
  const cur = stepState(t.state, event.scope, event.stepId);
  if (cur.status !== 'running') return refuse(`step ${event.stepId} is not running`);
  const s = endAttempt(t.state, event.scope, event.stepId, {
    process: undefined,
    status: event.interrupted ? 'interrupted' : event.ok ? 'passed' : 'failed',
    finishedAt: t.now,
    exitCode: event.exitCode,
    durationMs: event.durationMs,
    outputTail: event.outputTail,
    command: event.command ?? cur.command,
    message: event.message,
    check: event.check,
  });
  const key = stepKey(event.scope, event.stepId);
  const values = event.captured && Object.entries(event.captured);
  const captured = values?.length
    ? { ...s.captured, [key]: Object.fromEntries(values.map(([n, v]) => [n, { ...v, at: t.now }])) }
    : s.captured;
  const withValues = captured === s.captured ? s : { ...s, captured };
  return t.ok(event.check ? recordCheck(t.rb, withValues, event.check) : withValues);
}

/** A skip, a step marked done, a wait passed early: each with the operator's reason. */
function byReason(event: EventOf<'step.skip' | 'step.mark-done' | 'wait.override'>, t: Turn) {
  const type = event.type === 'step.skip' ? 'skip' : event.type === 'step.mark-done' ? 'mark-done' : 'pass-wait-early';
  const no = t.refusal({ type, scope: event.scope, stepId: event.stepId }, event);
  if (no) return no;
  const step = findStep(t.rb, event.scope, event.stepId)!;
  const cur = stepState(t.state, event.scope, step.id);
  const s = activate(t.rb, t.state, event.scope, t.now);
  const status = event.type === 'step.skip' ? 'skipped' : 'overridden';
  const nb = type === 'pass-wait-early' ? waitNotBefore(t.rb, t.state, step) : undefined;
  const message =
    type === 'pass-wait-early'
      ? `passed early${nb ? `, before ${nb.toISOString()}` : ', before its clock started'}`
      : undefined;
  const patch = {
    status,
    reason: event.reason.trim(),
    operator: t.ctx.operator,
    finishedAt: t.now,
    startedAt: cur.startedAt ?? t.now,
    message,
  } as const;
  const early = type === 'pass-wait-early' ? { notBefore: nb?.toISOString() } : undefined;
  return t.ok(endAttempt(s, event.scope, step.id, patch, early));
}

/** Where the step's process runs: a later session must not start a second copy while it lives. */
function processStarted(event: EventOf<'step.process'>, t: Turn) {
  if (stepState(t.state, event.scope, event.stepId).status !== 'running')
    return refuse(`step ${event.stepId} is not running`);
  return t.ok(withStep(t.state, event.scope, event.stepId, { process: { pid: event.pid, host: event.host } }));
}

export const stepHandlers: Pick<
  Handlers,
  | 'recover'
  | 'step.confirm-stopped'
  | 'step.start'
  | 'step.confirm'
  | 'step.finished'
  | 'step.skip'
  | 'step.mark-done'
  | 'wait.override'
  | 'step.process'
> = {
  recover,
  'step.confirm-stopped': confirmStopped,
  'step.start': start,
  'step.confirm': confirm,
  'step.finished': finished,
  'step.skip': byReason,
  'step.mark-done': byReason,
  'wait.override': byReason,
  'step.process': processStarted,
};

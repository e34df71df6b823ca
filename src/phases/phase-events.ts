// The engine's handlers for what happens to a phase: a gate overridden, a sign-off, its
// signature and approvals, a reopening, the digest of its report.
import { findPhase, phaseState } from './rules.js';
import type { EventOf } from './events.js';
import { endAttempt, refuse, withPhase, withStep, type Handlers, type Turn } from './engine-state.js';

function overrideGate(event: EventOf<'gate.override'>, t: Turn) {
  const no = t.refusal({ type: 'override-gate', phaseId: event.phaseId, checkId: event.checkId }, event);
  if (no) return no;
  const ps = phaseState(t.state, event.phaseId);
  const overrides = [
    ...ps.overrides.filter((o) => o.checkId !== event.checkId),
    { checkId: event.checkId, operator: t.ctx.operator, reason: event.reason.trim(), at: t.now },
  ];
  const status = ps.status === 'pending' ? 'active' : ps.status;
  return t.ok(withPhase(t.state, event.phaseId, { overrides, status, startedAt: ps.startedAt ?? t.now }));
}

function signoff(event: EventOf<'phase.signoff'>, t: Turn) {
  const no = t.refusal({ type: 'signoff', phaseId: event.phaseId });
  if (no) return no;
  const phase = findPhase(t.rb, event.phaseId)!;
  const ps = phaseState(t.state, phase.id);
  const statement = event.statement ?? `I confirm "${phase.title}" is complete.`;
  const by = t.ctx.operator;
  const record = { kind: 'signed-off' as const, by, at: t.now, statement, auto: event.auto || undefined };
  let s = withPhase(t.state, phase.id, {
    status: 'signed-off',
    signedOffAt: t.now,
    signedOffBy: by,
    statement,
    history: [...(ps.history ?? []), record],
  });
  const so = phase.steps.find((x) => x.kind === 'signoff');
  if (so)
    s = endAttempt(s, phase.id, so.id, {
      status: 'passed',
      startedAt: t.now,
      finishedAt: t.now,
      operator: by,
      autoConfirmed: event.auto || undefined,
      message: 'signed off',
    });
  return t.ok(s, [{ type: 'sign-phase', phaseId: phase.id }]);
}

/** Attaches the signature to the sign-off it signs: the latest, still in force. */
function signature(event: EventOf<'phase.signature'>, t: Turn) {
  const ps = phaseState(t.state, event.phaseId);
  const history = [...(ps.history ?? [])];
  const last = history[history.length - 1];
  if (ps.status !== 'signed-off' || last?.kind !== 'signed-off')
    return refuse('there is no sign-off in force to attach a signature to');
  history[history.length - 1] = { ...last, signature: event.signature };
  return t.ok(withPhase(t.state, event.phaseId, { history }));
}

function approve(event: EventOf<'phase.approve'>, t: Turn) {
  const { by, keyFingerprint } = event.approval;
  const no = t.refusal({ type: 'approve', phaseId: event.phaseId, by, keyFingerprint });
  if (no) return no;
  const ps = phaseState(t.state, event.phaseId);
  const history = [...(ps.history ?? [])];
  const last = history[history.length - 1];
  history[history.length - 1] = { ...last, approvals: [...(last.approvals ?? []), event.approval] };
  return t.ok(withPhase(t.state, event.phaseId, { history }));
}

/** The sign-off is voided, never deleted: it stays in the history with the overrides it rested on. */
function reopen(event: EventOf<'phase.reopen'>, t: Turn) {
  const no = t.refusal({ type: 'reopen', phaseId: event.phaseId }, event);
  if (no) return no;
  const phase = findPhase(t.rb, event.phaseId)!;
  const ps = phaseState(t.state, phase.id);
  const record = {
    kind: 'reopened' as const,
    by: t.ctx.operator,
    at: t.now,
    reason: event.reason.trim(),
    voidedOverrides: ps.overrides.length ? ps.overrides : undefined,
  };
  let s = withPhase(t.state, phase.id, {
    status: 'active',
    signedOffAt: undefined,
    signedOffBy: undefined,
    statement: undefined,
    reportDigest: undefined,
    overrides: [],
    reopenedAt: t.now,
    history: [...(ps.history ?? []), record],
  });
  const so = phase.steps.find((x) => x.kind === 'signoff');
  if (so) s = withStep(s, phase.id, so.id, { status: 'pending', finishedAt: undefined });
  return t.ok(s);
}

export const phaseHandlers: Pick<
  Handlers,
  'gate.override' | 'phase.signoff' | 'phase.signature' | 'phase.approve' | 'phase.reopen' | 'report.recorded'
> = {
  'gate.override': overrideGate,
  'phase.signoff': signoff,
  'phase.signature': signature,
  'phase.approve': approve,
  'phase.reopen': reopen,
  'report.recorded': (event, t) => t.ok(withPhase(t.state, event.phaseId, { reportDigest: event.digest })),
};

// How the engine's handlers change a state: small pure helpers, and the shape of a handler.
// Every handler gets one `Turn` (the runbook, the state, the clock, and the rules' answer).
import type { Runbook } from '../runbook/schema.js';
import type { CheckResult } from '../checks/types.js';
import {
  attemptOf,
  stepKey,
  type Attempt,
  type PhaseState,
  type RunState,
  type StepState,
} from '../state/run-state.js';
import { findPhase, phaseState, reasonProblem, type Need, type RuleAction } from './rules.js';
import type { EngineContext, EngineEvent, Effect, EventOf, Outcome } from './events.js';

/** What a handler is given: the event's world, and the rules' answer to an action it may take. */
export interface Turn {
  rb: Runbook;
  state: RunState;
  ctx: EngineContext;
  /** the clock, as the state records it */
  now: string;
  /** the state changed: its time and sequence move on */
  ok(s: RunState, effects?: Effect[], note?: string): Outcome;
  /** the refusal when the rules refuse the action or it lacks what it needs; undefined: it may go on */
  refusal(action: RuleAction, given?: Given): Outcome | undefined;
  /** another event applied to a state (a manual step started with --yes is confirmed) */
  reduce(state: RunState, event: EngineEvent): Outcome;
}

export type Handler<T extends EngineEvent['type']> = (event: EventOf<T>, t: Turn) => Outcome;
export type Handlers = { [K in EngineEvent['type']]: Handler<K> };

export type Given = { reason?: string; confirmWord?: string; pnrConfirmed?: boolean; auto?: boolean; rerun?: boolean };

export const refuse = (error: string): Outcome => ({ ok: false, error });

/** A state changed by nothing the operator did (a fact recorded): its time and sequence stay. */
export const unchanged = (state: RunState): Outcome => ({ ok: true, state, effects: [] });

export function touch(state: RunState, now: Date): RunState {
  return { ...state, updatedAt: now.toISOString(), seq: state.seq + 1 };
}

export function withStep(state: RunState, scope: string, stepId: string, patch: Partial<StepState>): RunState {
  const key = stepKey(scope, stepId);
  const prev = state.steps[key] ?? { status: 'pending' };
  return { ...state, steps: { ...state.steps, [key]: { ...prev, ...patch } }, cursor: { scope, stepId } };
}

/** Ends an attempt: the step takes the outcome, and the outcome joins the step's history. */
export function endAttempt(
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

export function withPhase(state: RunState, id: string, patch: Partial<PhaseState>): RunState {
  return { ...state, phases: { ...state.phases, [id]: { ...phaseState(state, id), ...patch } } };
}

/** Acting on a step of a phase starts the phase. */
export function activate(rb: Runbook, state: RunState, scope: string, now: string): RunState {
  const phase = findPhase(rb, scope);
  if (!phase || phaseState(state, phase.id).status !== 'pending') return state;
  return withPhase(state, phase.id, { status: 'active', startedAt: now });
}

/** The first need the event does not satisfy, as a refusal sentence. */
export function unmet(needs: Need[], given: Given): string | undefined {
  for (const n of needs) {
    // never by --yes: accepting what comes next is not deciding to repeat what is done
    if (n.kind === 'rerun' && !given.rerun) return `${n.text} Confirm the re-run to go on`;
    if (n.kind === 'reason') {
      const bad = reasonProblem(given.reason);
      if (bad) return bad;
    }
    if (n.kind === 'pnr' && !given.pnrConfirmed && !given.auto)
      return `point of no return: ${n.text} — confirm to go on`;
    if (n.kind === 'input') return `give input "${n.name}" first${n.def.description ? ` (${n.def.description})` : ''}`;
    if (n.kind === 'confirm-word' && !given.auto && given.confirmWord !== n.word)
      return `${n.prompt.replace(/\.$/, '')}: type ${n.word} to go on`;
  }
  return undefined;
}

export function recordCheck(rb: Runbook, state: RunState, result: CheckResult): RunState {
  const def = rb.checks[result.id];
  let s: RunState = { ...state, checks: { ...state.checks, [result.id]: result } };
  if (def?.baseline === 'record' && (result.status === 'pass' || result.status === 'warn'))
    s = {
      ...s,
      baselines: { ...s.baselines, [result.id]: { at: result.startedAt, checkId: result.id, metrics: result.metrics } },
    };
  return s;
}

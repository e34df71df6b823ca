// Where things are in a runbook and its run: a scope's steps, a step or phase by id, their state,
// and when a wait may pass. Facts only, used by the rules, the engine and every front end.
import { parseWaitTarget, type WaitTarget } from '../runbook/wait-target.js';
import type { Runbook, Step, Phase } from '../runbook/schema.js';
import { parseDuration } from '../runbook/duration.js';
import { DONE, stepKey, type RunState, type StepState, type PhaseState } from '../state/run-state.js';

/** What holds a list of steps: a phase ("ID"), "rollback:ID", "troubleshooting:ID" or "maintenance:NAME". */
export type Scope = { kind: 'phase' | 'rollback' | 'troubleshooting' | 'maintenance'; id: string };

/** A scope string as a typed value: parsed here, once, for every caller. */
export function parseScope(scope: string): Scope {
  const m = /^(rollback|troubleshooting|maintenance):(.*)$/.exec(scope);
  return m ? { kind: m[1] as Scope['kind'], id: m[2] } : { kind: 'phase', id: scope };
}

export function scopeSteps(rb: Runbook, scope: string): Step[] | undefined {
  const s = parseScope(scope);
  if (s.kind === 'rollback') return rb.rollback.find((r) => r.id === s.id)?.steps;
  if (s.kind === 'troubleshooting') return rb.troubleshooting.find((t) => t.id === s.id)?.diagnostics;
  if (s.kind === 'maintenance') return rb.maintenance[s.id];
  return rb.phases.find((p) => p.id === s.id)?.steps;
}

export function findStep(rb: Runbook, scope: string, stepId: string): Step | undefined {
  return scopeSteps(rb, scope)?.find((s) => s.id === stepId);
}

export function findPhase(rb: Runbook, id: string): Phase | undefined {
  return rb.phases.find((p) => p.id === id);
}

export function phaseState(state: RunState, id: string): PhaseState {
  return state.phases[id] ?? { status: 'pending', overrides: [] };
}

export function stepState(state: RunState, scope: string, stepId: string): StepState {
  return state.steps[stepKey(scope, stepId)] ?? { status: 'pending' };
}

/** A wait's "after" as a typed target (parsed in runbook/wait-target.ts, where the loader checks it). */
export function waitTarget(after: string): WaitTarget {
  // the loader refused any other form: a runbook that loaded has a target here
  return parseWaitTarget(after) ?? { kind: 'phase', phaseId: after };
}

/** When a wait step may pass, from recorded events; undefined while its start event has not happened. */
export function waitNotBefore(rb: Runbook, state: RunState, step: Step): Date | undefined {
  if (step.kind !== 'wait') return undefined;
  const ms = parseDuration(step.duration) ?? 0;
  const t = waitTarget(step.after);
  let at: string | undefined;
  if (t.kind === 'phase') at = state.phases[t.phaseId]?.signedOffAt;
  else {
    const s = state.steps[stepKey(t.scope, t.stepId)];
    at = s && DONE.has(s.status) ? s.finishedAt : undefined;
  }
  return at ? new Date(Date.parse(at) + ms) : undefined;
}

/** Where a wait stands: not started (its event has not happened), counting down, or due. */
export interface WaitFacts {
  state: 'not-started' | 'counting' | 'due';
  notBefore?: Date;
  /** what starts it: the phase signed off or the step done (`after`) */
  after?: string;
  now: Date;
}

export function waitFacts(rb: Runbook, state: RunState, step: Step, now: Date): WaitFacts {
  const nb = waitNotBefore(rb, state, step);
  const after = step.kind === 'wait' ? step.after : undefined;
  if (!nb) return { state: 'not-started', after, now };
  return { state: nb > now ? 'counting' : 'due', notBefore: nb, after, now };
}

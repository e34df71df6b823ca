// A wait in words, one wording for every screen, the plain mode, plan, status and refusals:
// "available in 3 h 2 m", "starts counting when "X" is signed off".
import type { Runbook, Step } from '../runbook/schema.js';
import type { RunState } from '../state/run-state.js';
import { findPhase, findStep, waitFacts, waitTarget, type WaitFacts } from './lookups.js';
import { stepKey } from '../runbook/step-key.js';

/** The wait's target in words: the phase's or the step's title. */
export function describeAfter(rb: Runbook, after: string): string {
  const t = waitTarget(after);
  if (t.kind === 'phase') return `"${findPhase(rb, t.phaseId)?.title ?? t.phaseId}" is signed off`;
  return `"${findStep(rb, t.scope, t.stepId)?.title ?? stepKey(t.scope, t.stepId)}" is done`;
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

export interface WaitView {
  state: 'not-started' | 'counting' | 'due';
  notBefore?: Date;
  /** "available in 3 h 2 m" · "available now" · "starts counting when "X" is signed off" */
  short: string;
  /** short, with the exact time: "available in 3 h 2 m (not before 2026-…)" */
  long: string;
}

/** The one wording of a wait, from where it stands. */
export function waitWords(rb: Runbook, w: WaitFacts): WaitView {
  const nb = w.notBefore;
  if (w.state === 'not-started' || !nb) {
    const short = `starts counting when ${w.after !== undefined ? describeAfter(rb, w.after) : 'its event happens'}`;
    return { state: 'not-started', short, long: short };
  }
  if (w.state === 'counting') {
    const short = `available in ${formatRemaining(nb.getTime() - w.now.getTime())}`;
    return { state: 'counting', notBefore: nb, short, long: `${short} (not before ${nb.toISOString()})` };
  }
  return { state: 'due', notBefore: nb, short: 'available now', long: 'available now' };
}

/** The one wording of a wait, for every screen, the plain mode, plan, status and refusals. */
export function waitView(rb: Runbook, state: RunState, step: Step, now: Date): WaitView {
  return waitWords(rb, waitFacts(rb, state, step, now));
}

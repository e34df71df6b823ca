// Where the operator resumes: the step they were on, else the first one not done.
import type { Runbook } from '../runbook/schema.js';
import { DONE, splitStepKey, stepKey, type RunState } from '../state/run-state.js';
import { currentPhase, nextStep, scopeSteps, stepState } from '../phases/rules.js';

/** Where to resume: the step the operator was on, else the first one not done. */
export function resumePoint(rb: Runbook, st: RunState): { scope: string; index: number } | undefined {
  const interrupted = Object.entries(st.steps).find(([, s]) => s.status === 'interrupted' || s.status === 'running');
  const key = interrupted?.[0] ?? (st.cursor ? stepKey(st.cursor.scope, st.cursor.stepId) : undefined);
  if (key) {
    const { scope, stepId } = splitStepKey(key);
    const steps = scopeSteps(rb, scope);
    const stepIdx = steps?.findIndex((s) => s.id === stepId) ?? -1;
    if (steps && stepIdx >= 0) {
      const here = stepState(st, scope, steps[stepIdx].id);
      // a finished step moves the resume point on to the next open one in its phase
      if (DONE.has(here.status)) {
        const nx = nextStep(rb, st, scope);
        if (nx) return { scope, index: steps.indexOf(nx) };
      } else return { scope, index: stepIdx };
    }
  }
  const ph = currentPhase(rb, st);
  if (!ph) return undefined;
  const nx = nextStep(rb, st, ph.id);
  return { scope: ph.id, index: nx ? ph.steps.indexOf(nx) : ph.steps.length - 1 };
}

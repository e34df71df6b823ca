// A wait's `after:` — "phase:ID" or "step:PHASE/STEP" — as a typed value, parsed in this one
// place for the loader (which checks it) and the rules (which count from it).
import { splitStepKey } from './step-key.js';
export type WaitTarget = { kind: 'phase'; phaseId: string } | { kind: 'step'; scope: string; stepId: string };

/** The target, or undefined when `after` is neither form. */
export function parseWaitTarget(after: string): WaitTarget | undefined {
  const m = /^(phase|step):(.+)$/.exec(after);
  if (!m) return undefined;
  if (m[1] === 'phase') return { kind: 'phase', phaseId: m[2] };
  if (m[2].lastIndexOf('/') <= 0) return undefined;
  const { scope, stepId } = splitStepKey(m[2]);
  return { kind: 'step', scope, stepId };
}

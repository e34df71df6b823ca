// A wait's `after:` — "phase:ID" or "step:PHASE/STEP" — as a typed value, parsed in this one
// place for the loader (which checks it) and the rules (which count from it).
export type WaitTarget = { kind: 'phase'; phaseId: string } | { kind: 'step'; scope: string; stepId: string };

/** The target, or undefined when `after` is neither form. */
export function parseWaitTarget(after: string): WaitTarget | undefined {
  const m = /^(phase|step):(.+)$/.exec(after);
  if (!m) return undefined;
  if (m[1] === 'phase') return { kind: 'phase', phaseId: m[2] };
  const j = m[2].lastIndexOf('/');
  return j > 0 ? { kind: 'step', scope: m[2].slice(0, j), stepId: m[2].slice(j + 1) } : undefined;
}

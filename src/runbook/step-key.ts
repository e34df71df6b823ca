// How a step is named across a run: "scope/stepId" (a phase's id, or "rollback:ID", …). Written
// and read here only.
export function stepKey(scope: string, stepId: string): string {
  return `${scope}/${stepId}`;
}

export function splitStepKey(key: string): { scope: string; stepId: string } {
  const i = key.lastIndexOf('/');
  return { scope: key.slice(0, i), stepId: key.slice(i + 1) };
}

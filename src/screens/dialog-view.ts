// The sign-off dialog's view model: what the phase's steps and gate stand at, in words. Pure.
import type { Runbook } from '../runbook/schema.js';
import type { RunState } from '../state/run-state.js';
import { gateStatus, scopeSteps, stepState } from '../phases/rules.js';
import { findPhase } from '../phases/lookups.js';

export interface SignoffView {
  title: string;
  /** "Steps: 5 passed, 1 skipped" (the sign-off steps are what the dialog does: not counted) */
  steps: string;
  gate: Array<{ text: string; passed: boolean }>;
}

export function signoffView(rb: Runbook, state: RunState, phaseId: string): SignoffView | undefined {
  const phase = findPhase(rb, phaseId);
  if (!phase) return undefined;
  const counts: Record<string, number> = {};
  for (const s of scopeSteps(rb, phase.id) ?? []) {
    if (s.kind === 'signoff') continue;
    const st = stepState(state, phase.id, s.id).status;
    counts[st] = (counts[st] ?? 0) + 1;
  }
  const gate = gateStatus(rb, state, phase.id).map((g) => ({
    passed: g.status === 'passed',
    text:
      `  ${g.status === 'passed' ? '✔ passed    ' : '≈ overridden'} ${g.checkId}` +
      (g.override ? ` — ${g.override.operator}: ${g.override.reason}` : g.result ? ` — ${g.result.summary}` : ''),
  }));
  return {
    title: phase.title,
    steps: `Steps: ${Object.entries(counts)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
    gate,
  };
}

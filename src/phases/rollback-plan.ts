// Which rollback procedures apply now, worked out from what the run has done:
// the latest phase that changed anything is undone first.
import type { Runbook } from '../runbook/schema.js';
import type { RunState } from '../state/run-state.js';
import { rollbackProgress, touchedPhases } from './rules.js';

export interface RollbackItem {
  procedureId: string;
  title: string;
  when?: string;
  destructive: boolean;
  /** the phases whose work this procedure undoes, latest first */
  undoes: string[];
  /** progress of the procedure itself in this run */
  progress: string;
}

export function rollbackPlan(rb: Runbook, state: RunState): RollbackItem[] {
  const touched = touchedPhases(rb, state);
  const order: string[] = [];
  const undoes = new Map<string, string[]>();
  for (const p of [...touched].reverse()) {
    if (!p.rollback) continue;
    if (!undoes.has(p.rollback)) {
      order.push(p.rollback);
      undoes.set(p.rollback, []);
    }
    undoes.get(p.rollback)!.push(p.title);
  }
  return order.map((id) => {
    const proc = rb.rollback.find((r) => r.id === id)!;
    const { done, inProgress } = rollbackProgress(rb, state, id)!;
    const abandoned = done < proc.steps.length && !inProgress && state.abandoned?.[id];
    return {
      procedureId: id,
      title: proc.title,
      when: proc.when,
      destructive: !!proc.destructive || proc.steps.some((s) => s.destructive),
      undoes: undoes.get(id)!,
      progress: inProgress
        ? `IN PROGRESS: ${done}/${proc.steps.length} steps done`
        : abandoned
          ? `abandoned after ${done}/${proc.steps.length} steps`
          : done === 0
            ? 'not started'
            : done === proc.steps.length
              ? 'done'
              : `${done}/${proc.steps.length} steps done`,
    };
  });
}

/** Every procedure, those that apply now first and in the order they apply. */
export function orderedProcedures(rb: Runbook, state: RunState): Runbook['rollback'] {
  const plan = rollbackPlan(rb, state).map((i) => i.procedureId);
  const rank = (id: string) =>
    plan.includes(id) ? plan.indexOf(id) : plan.length + rb.rollback.findIndex((r) => r.id === id);
  return [...rb.rollback].sort((a, b) => rank(a.id) - rank(b.id));
}

import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, openSession, out } from './common.js';
import { buildPlan, formatPlan } from '../phases/plan.js';
import { rollbackPlan } from '../phases/rollback-plan.js';

/** Dry run: reads the live run, executes nothing, writes nothing. */
export async function planCommand(a: ParsedArgs): Promise<number> {
  const lr = await load(a);
  const phase = a.flags.phase as string | undefined;
  if (phase && !lr.runbook.phases.some((p) => p.id === phase)) throw new UsageError(`unknown phase "${phase}"`);
  const s = await openSession(a, true, lr);
  try {
    const plan = buildPlan(s.runbook, s.state, lr.redactor, s.now(), phase);
    if (a.flags.json)
      out(
        JSON.stringify(
          { runbook: lr.runbook.id, run: s.state.runId, generatedAt: s.now().toISOString(), phases: plan },
          null,
          2,
        ),
      );
    else {
      out(`Plan for ${lr.runbook.title} v${lr.runbook.version} — dry run: nothing is executed, nothing is written`);
      out('');
      for (const l of formatPlan(plan)) out(l);
    }
    return 0;
  } finally {
    await s.close();
  }
}

export async function rollbackCommand(a: ParsedArgs): Promise<number> {
  if (!a.flags.plan)
    throw new UsageError(
      'waymark rollback --plan shows which procedures apply; run them from the TUI (R) so each step is ' +
        'confirmed and recorded',
    );
  const lr = await load(a);
  const s = await openSession(a, true, lr);
  try {
    const items = rollbackPlan(s.runbook, s.state);
    if (a.flags.json) out(JSON.stringify({ procedures: items }, null, 2));
    else if (!items.length) out('Nothing to roll back: no phase of this run has started.');
    else {
      out('Rollback procedures that apply to what this run has done, in order:');
      items.forEach((it, i) => {
        out(`  ${i + 1}. ${it.title} [${it.procedureId}]${it.destructive ? ' (destructive)' : ''} — ${it.progress}`);
        out(`     undoes: ${it.undoes.join(', ')}`);
        if (it.when) out(`     when: ${it.when}`);
        const proc = lr.runbook.rollback.find((r) => r.id === it.procedureId)!;
        for (const st of proc.steps) out(`       - ${st.title}`);
      });
    }
    return 0;
  } finally {
    await s.close();
  }
}

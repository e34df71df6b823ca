// waymark rollback --plan: which rollback procedures apply now, in order.
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, openSession, out } from './common.js';
import { rollbackPlan } from '../phases/rollback-plan.js';

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

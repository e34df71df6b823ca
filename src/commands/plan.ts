import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, openSession, out } from './common.js';
import { buildPlan, formatPlan } from '../phases/plan.js';

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

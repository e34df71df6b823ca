// waymark reopen: a signed-off phase reopened; its sign-off is voided, kept in the record.
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { openSession, out } from './common.js';
import { findPhase } from '../phases/lookups.js';

export async function reopenCommand(a: ParsedArgs): Promise<number> {
  const phaseId = a.flags.phase as string | undefined;
  const reason = a.flags.reason as string | undefined;
  if (!phaseId || !reason) throw new UsageError('name the phase and why: waymark reopen --phase ID --reason "…"');
  const session = await openSession(a, false, undefined, { noProbes: true });
  try {
    const r = session.dispatch({ type: 'phase.reopen', phaseId, reason });
    if (!r.ok) {
      out(r.error);
      return 1;
    }
    out(
      `reopened "${findPhase(session.runbook, phaseId)!.title}": its sign-off is voided ` +
        `(kept in the record); it needs a new sign-off`,
    );
    return 0;
  } finally {
    await session.close();
  }
}

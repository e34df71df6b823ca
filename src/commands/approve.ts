// `waymark approve --phase ID`: another operator's approval of a phase's sign-off, signed with
// their own key, from their own terminal — whether or not the signer's session is still open.
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, openSession, out, sessionOptions } from './common.js';
import { approvalsInForce, type RunState } from '../state/run-state.js';
import { findPhase } from '../phases/lookups.js';

const WAIT_MS = 15_000;

export async function approveCommand(a: ParsedArgs): Promise<number> {
  const phaseId = a.flags.phase as string | undefined;
  if (!phaseId) throw new UsageError('name the phase: waymark approve --phase ID');
  const lr = await load(a);
  const phase = findPhase(lr.runbook, phaseId);
  if (!phase) throw new UsageError(`unknown phase "${phaseId}"; waymark status lists them`);
  const o = sessionOptions(a);
  // signed and dropped with a read-only view of the run: the signer's session may hold it
  const view = await openSession(a, true, lr, { noProbes: true });
  let dropped;
  try {
    dropped = await view.dropApproval(phaseId);
  } finally {
    await view.close();
  }
  if (!dropped.ok) {
    out(`not approved: ${dropped.error}`);
    return 1;
  }
  const fingerprint = dropped.keyFingerprint;

  // the run's writer takes it in: this process when no session is open, else the open one
  const { taken, holder } = await takeIn(a, lr, phaseId, fingerprint);
  const after = await openSession(a, true, lr, { noProbes: true });
  try {
    const given = approvalsInForce(after.state.phases[phaseId]);
    const signer = after.state.phases[phaseId]?.signedOffBy ?? '?';
    if (!taken && !holder) {
      out('not approved: the run refused it (see the notice above and waymark audit); it was set aside');
      return 1;
    }
    out(
      taken
        ? `approved "${phase.title}" as ${o.operator} (key ${fingerprint}): ${1 + given.length} of ` +
            `${phase.approvals} signatures (signed off by ${signer}, approved by ${given.map((x) => x.by).join(', ')})`
        : `approval of "${phase.title}" signed and left for the open session (${holder}); it takes it in ` +
            `within seconds, or the run's next session does`,
    );
    return 0;
  } finally {
    await after.close();
  }
}

function recorded(state: RunState, phaseId: string, fp: string): boolean {
  return approvalsInForce(state.phases[phaseId]).some((x) => x.keyFingerprint === fp);
}

/**
 * Opens the run to take the approval in; while another session holds it, that session takes
 * it in (every 2 s) — or, if it closes first, the next try here does.
 */
async function takeIn(
  a: ParsedArgs,
  lr: Awaited<ReturnType<typeof load>>,
  phaseId: string,
  fp: string,
): Promise<{ taken: boolean; holder: string }> {
  const until = Date.now() + WAIT_MS;
  let holder: string;
  for (;;) {
    try {
      const s = await openSession(a, false, lr, { noProbes: true });
      try {
        const taken = recorded(s.state, phaseId, fp);
        if (!taken) for (const n of s.notices) out(`notice: ${n}`);
        return { taken, holder: '' };
      } finally {
        await s.close();
      }
    } catch (e) {
      if ((e as Error).name !== 'LockError') throw e;
      holder = (e as Error).message;
    }
    const s = await openSession(a, true, lr, { noProbes: true });
    try {
      if (recorded(s.state, phaseId, fp)) return { taken: true, holder };
    } finally {
      await s.close();
    }
    if (Date.now() > until) return { taken: false, holder };
    await new Promise((r) => setTimeout(r, 250));
  }
}

// `waymark approve --phase ID`: another operator's approval of a phase's sign-off, signed with
// their own key, from their own terminal — whether or not the signer's session is still open.
import { hostname } from 'node:os';
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, openSession, out, sessionOptions } from './common.js';
import { can } from '../phases/rules.js';
import { approvalsInForce, type RunState } from '../state/run-state.js';

const WAIT_MS = 15_000;

export async function approveCommand(a: ParsedArgs): Promise<number> {
  const phaseId = a.flags.phase as string | undefined;
  if (!phaseId) throw new UsageError('name the phase: waymark approve --phase ID');
  const lr = await load(a);
  const phase = lr.runbook.phases.find((p) => p.id === phaseId);
  if (!phase) throw new UsageError(`unknown phase "${phaseId}"; waymark status lists them`);
  const o = sessionOptions(a);
  const { operatorKey } = await import('../state/ssh-keys.js');
  const { signMessage } = await import('../state/sshsig.js');
  const { approvalMessage, dropApproval, AlreadyApproved } = await import('../state/approvals.js');
  const key = operatorKey(o.stateDir, o.operator, o.signingKey);

  // what the run says now (read-only: the signer's session may hold it)
  const view = await openSession(a, true, lr, { noProbes: true });
  let file: string;
  try {
    const v = can(
      lr.runbook,
      view.state,
      { type: 'approve', phaseId, by: o.operator, keyFingerprint: key.fingerprint },
      view.now(),
    );
    if (!v.ok) {
      out(`not approved: ${v.why}`);
      return 1;
    }
    const ps = view.state.phases[phaseId];
    const signoff = ps.history![ps.history!.length - 1];
    const at = view.now().toISOString();
    const host = hostname();
    const message = approvalMessage({ run: view.state, phase, signoff, by: o.operator, host, at });
    const armored = await signMessage(Buffer.from(message), key.signer);
    try {
      file = dropApproval(view.paths.approvals, phaseId, {
        by: o.operator,
        host,
        at,
        keyFingerprint: key.fingerprint,
        armored,
        message,
      });
    } catch (e) {
      if (!(e instanceof AlreadyApproved)) throw e;
      out(`not approved: ${e.message}`);
      return 1;
    }
  } finally {
    await view.close();
  }

  // the run's writer takes it in: this process when no session is open, else the open one
  const { taken, holder } = await takeIn(a, lr, phaseId, key.fingerprint);
  const after = await openSession(a, true, lr, { noProbes: true });
  try {
    const given = approvalsInForce(after.state.phases[phaseId]);
    const signer = after.state.phases[phaseId]?.signedOffBy ?? '?';
    if (!taken && !holder) {
      out(`not approved: the run refused it (see the notice above and waymark audit); ${file} was set aside`);
      return 1;
    }
    out(
      taken
        ? `approved "${phase.title}" as ${o.operator} (key ${key.fingerprint}): ${1 + given.length} of ` +
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

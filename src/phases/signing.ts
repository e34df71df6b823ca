// A sign-off signed with the operator's SSH key, over the chain head of the audit log (which ends
// with the sign-off itself): rewriting the log afterwards breaks it. Returns the event that
// attaches the signature, or why it could not be made; the session records either.
import type { LoadedRunbook } from '../load/loader.js';
import type { AuditHead } from '../state/audit.js';
import type { RunState } from '../state/run-state.js';
import type { EventOf } from './events.js';
import { findPhase } from './rules.js';

export interface Signer {
  operator: string;
  stateDir: string;
  signingKey?: string;
}

export type Signed =
  | { ok: true; event: EventOf<'phase.signature'>; data: Record<string, unknown> }
  | { ok: false; reason: string; title: string };

export async function signSignoff(
  lr: LoadedRunbook,
  state: RunState,
  phaseId: string,
  head: AuditHead,
  who: Signer,
): Promise<Signed | undefined> {
  const ps = state.phases[phaseId];
  const phase = findPhase(lr.runbook, phaseId);
  if (!ps || !phase) return undefined;
  const { signoffMessage } = await import('../state/signoff-signature.js');
  const message = signoffMessage({
    run: state,
    phase,
    by: who.operator,
    at: ps.signedOffAt!,
    statement: ps.statement ?? '',
    head,
    rehearsal: state.rehearsal,
  });
  try {
    const { operatorKey } = await import('../state/ssh-keys.js');
    const { signMessage } = await import('../state/sshsig.js');
    const key = operatorKey(who.stateDir, who.operator, who.signingKey);
    const armored = await signMessage(Buffer.from(message), key.signer);
    const signature = { armored, keyFingerprint: key.fingerprint, auditHead: head, message };
    const data = { phaseId, keyFingerprint: key.fingerprint, auditHead: head, message, armored };
    return { ok: true, event: { type: 'phase.signature', phaseId, signature }, data };
  } catch (e) {
    return { ok: false, reason: lr.redactor.redact((e as Error).message), title: phase.title };
  }
}

/** Sign-offs in force by this operator that were never signed (the disk was full, the key unreadable). */
export function unsignedBy(state: RunState, operator: string): string[] {
  return Object.entries(state.phases)
    .filter(([, ps]) => {
      const last = ps.history?.[ps.history.length - 1];
      return ps.status === 'signed-off' && last?.kind === 'signed-off' && !last.signature && last.by === operator;
    })
    .map(([id]) => id);
}

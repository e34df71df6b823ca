// The approvals inbox of a run (state/approvals.ts): another person's signed approval of a
// sign-off is dropped for the run's writer, which takes it in here. One that signs the sign-off
// in force becomes a `phase.approve` event, and the rules decide whether it counts; any other is
// set aside as .refused, with why.
import { basename } from 'node:path';
import type { Runbook } from '../runbook/schema.js';
import { AlreadyApproved, approvalMessage, approvalProblem, droppedApprovals } from '../state/approvals.js';
import type { RunStore } from '../state/run-store.js';
import { DiskError } from '../state/durable.js';
import { approvalsInForce, type RunState } from '../state/run-state.js';
import type { Recorder } from './recorder.js';
import type { EngineEvent, Outcome } from './events.js';
import { can, findPhase } from './rules.js';

export interface Refused {
  file: string;
  by?: string;
  phaseId?: string;
  problem: string;
}

/** Why a dropped approval cannot count; undefined when it signs the sign-off in force. Null: it is in already. */
function problemOf(rb: Runbook, state: RunState, dropped: ReturnType<typeof droppedApprovals>[number]['dropped']) {
  const a = dropped?.approval;
  const phase = dropped && findPhase(rb, dropped.phaseId);
  const ps = phase ? state.phases[phase.id] : undefined;
  // already in: nothing to do (the file stays, so the same key cannot drop another)
  if (a && ps?.history?.some((h) => h.approvals?.some((x) => x.keyFingerprint === a.keyFingerprint && x.at === a.at)))
    return null;
  const last = ps?.history?.[ps.history.length - 1];
  if (!a || !phase) return 'it is not an approval of a phase of this runbook';
  if (!ps || ps.status !== 'signed-off' || last?.kind !== 'signed-off') return `"${phase.title}" is not signed off`;
  const expected = approvalMessage({ run: state, phase, signoff: last, by: a.by, host: a.host, at: a.at });
  return approvalProblem(a, expected);
}

/**
 * Takes in what the inbox holds: each approval through `dispatch` (the engine and its rules),
 * in turn, each refusal set aside. Returns how many were taken in and what was refused.
 */
function takeApprovals(
  rb: Runbook,
  store: RunStore,
  state: () => RunState,
  dispatch: (event: EngineEvent) => Outcome,
): { taken: number; refused: Refused[]; failure?: DiskError } {
  let taken = 0;
  const refused: Refused[] = [];
  try {
    store.pullApprovals();
  } catch (e) {
    if (!(e instanceof DiskError)) throw e;
    return { taken, refused, failure: e };
  }
  for (const { file, dropped } of droppedApprovals(store.paths.approvals)) {
    let problem = problemOf(rb, state(), dropped);
    if (problem === null) continue;
    if (!problem) {
      const r = dispatch({ type: 'phase.approve', phaseId: dropped!.phaseId, approval: dropped!.approval });
      if (r.ok) {
        taken++;
        continue;
      }
      problem = r.error;
    }
    try {
      store.refuseApproval(file);
    } catch {
      continue; // another session set it aside first
    }
    refused.push({ file: basename(file), by: dropped?.approval?.by, phaseId: dropped?.phaseId, problem });
  }
  return { taken, refused };
}

export interface Approver {
  rb: Runbook;
  state: RunState;
  operator: string;
  host: string;
  now: Date;
  stateDir: string;
  signingKey?: string;
  store: RunStore;
}

/**
 * Signs the operator's approval of the sign-off in force and drops it into the inbox; a reader
 * may, since nothing of the run is written: the run's writer takes it in.
 */
export async function signApproval(
  phaseId: string,
  x: Approver,
): Promise<{ ok: true; keyFingerprint: string } | { ok: false; error: string }> {
  const phase = findPhase(x.rb, phaseId);
  if (!phase) return { ok: false, error: `unknown phase "${phaseId}"` };
  const { operatorKey } = await import('../state/ssh-keys.js');
  const { signMessage } = await import('../state/sshsig.js');
  let key;
  try {
    key = operatorKey(x.stateDir, x.operator, x.signingKey);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  const by = x.operator;
  const v = can(x.rb, x.state, { type: 'approve', phaseId, by, keyFingerprint: key.fingerprint }, x.now);
  if (!v.ok) return { ok: false, error: v.why };
  const ps = x.state.phases[phaseId];
  const signoff = ps.history![ps.history!.length - 1];
  const at = x.now.toISOString();
  const message = approvalMessage({ run: x.state, phase, signoff, by, host: x.host, at });
  const armored = await signMessage(Buffer.from(message), key.signer);
  const approval = { by, host: x.host, at, keyFingerprint: key.fingerprint, armored, message };
  try {
    await x.store.dropApproval(phaseId, approval);
  } catch (e) {
    if (e instanceof AlreadyApproved) return { ok: false, error: e.message };
    throw e;
  }
  return { ok: true, keyFingerprint: key.fingerprint };
}

export type Dispatch = (event: EngineEvent) => Outcome;

/** Takes the inbox in for a writer; each refusal is noted in the log and told to the operator. */
export function intake(rec: Recorder, store: RunStore, dispatch: Dispatch): { taken: number; refused: Refused[] } {
  if (rec.by.readOnly || rec.failure) return { taken: 0, refused: [] };
  const r = takeApprovals(rec.lr.runbook, store, () => rec.state, dispatch);
  if (r.failure) rec.failure = r.failure;
  for (const x of r.refused) {
    rec.note('approval.refused', x);
    rec.notice(refusedSentence(x));
  }
  if (r.taken) rec.emit({ state: rec.state });
  return r;
}

function refusedSentence(x: Refused): string {
  return `an approval by ${x.by ?? 'someone'} was refused: ${x.problem}`;
}

export type Approved = { ok: true; given: number; of: number; handedOver?: boolean } | { ok: false; error: string };

/**
 * The operator approves another person's sign-off (the TUI's A): signed, dropped, and taken in
 * at once by a writer; a follower's is taken in by the session that holds the run, within two
 * seconds.
 */
export async function approveNow(phaseId: string, x: Approver, rec: Recorder, dispatch: Dispatch): Promise<Approved> {
  const dropped = await signApproval(phaseId, x);
  if (!dropped.ok) return dropped;
  const of = findPhase(x.rb, phaseId)!.approvals;
  if (rec.by.readOnly)
    return { ok: true, given: 2 + approvalsInForce(rec.state.phases[phaseId]).length, of, handedOver: true };
  const { refused } = intake(rec, x.store, dispatch);
  const given = approvalsInForce(rec.state.phases[phaseId]);
  if (!given.some((a) => a.keyFingerprint === dropped.keyFingerprint)) {
    const mine = refused.find((r) => r.by === x.operator) ?? refused[refused.length - 1];
    return { ok: false, error: mine ? refusedSentence(mine) : 'the approval was refused' };
  }
  return { ok: true, given: 1 + given.length, of };
}

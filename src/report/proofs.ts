// The sign-offs and approvals a report shows, with the proof of each (the signed text and its
// SSHSIG) checked against a trust file: when the report is written (rows the writer's trust
// file does not vouch for are marked UNTRUSTED SIGN-OFF) and when it is verified (the reader's).
import { checkProof, proofLabel, whyNotTrusted, type Proof, type ProofCheck, type TrustFile } from '../state/trust.js';
import type { ReportBody, ReportPhase, ReportSignoff } from './build.js';

export interface EmbeddedCheck {
  label: string;
  row: ReportSignoff;
  phase: ReportPhase;
  check?: ProofCheck;
  /** why it does not count (unsigned, another run's, a bad signature, an untrusted key) */
  why?: string;
  /**
   * It does not count. Without a trust file a valid signature is not called untrusted (nothing is said
   * of its key), but an unsigned, broken or misplaced one is.
   */
  untrusted: boolean;
}

function proofOf(row: ReportSignoff, phase: ReportPhase): Proof | undefined {
  if (!row.proof) return undefined;
  const kind = row.kind === 'approved' ? 'approval' : 'sign-off';
  return { kind, phaseId: phase.id, by: row.by, at: row.at, ...row.proof };
}

/** Every sign-off and approval of the report, each checked (reopenings sign nothing). */
export function checkEmbedded(body: ReportBody, trust: TrustFile | undefined): EmbeddedCheck[] {
  const out: EmbeddedCheck[] = [];
  for (const phase of body.phases)
    for (const row of phase.signoffs ?? []) {
      if (row.kind === 'reopened') continue;
      const kind = row.kind === 'approved' ? 'approval' : 'sign-off';
      const label = `${kind} of ${phase.id} by ${row.by}`;
      const proof = proofOf(row, phase);
      if (!proof) {
        out.push({ label, row, phase, why: 'it is not signed: nothing proves who signed it', untrusted: true });
        continue;
      }
      const lines = proof.message.split('\n');
      if (!lines.includes(`run: ${body.run.id}`) || !lines.some((l) => l.startsWith(`phase: ${phase.id} `))) {
        out.push({ label, row, phase, why: 'its signed text is of another run or phase', untrusted: true });
        continue;
      }
      const check = checkProof(proof, trust);
      const why = whyNotTrusted(check, trust?.file);
      const untrusted = !!why && !(check.trust === 'no-trust-file' && !check.problem);
      out.push({ label: proofLabel(proof), row, phase, check, why, untrusted });
    }
  return out;
}

/**
 * Marks the report as its writer's trust file sees it: each row not vouched for says why, and
 * the body says whether every one was checked. Returns the labels of the untrusted ones.
 */
export function markTrust(body: ReportBody, trust: TrustFile | undefined): string[] {
  const checks = checkEmbedded(body, trust);
  const untrusted: string[] = [];
  for (const c of checks) {
    if (!c.untrusted) continue;
    c.row.untrusted = c.why;
    untrusted.push(`${c.label}: ${c.why}`);
  }
  body.signoffProofs = {
    embedded: true,
    checked: untrusted.length ? 'untrusted' : trust ? 'trusted' : 'no-trust-file',
    untrusted,
  };
  return untrusted;
}

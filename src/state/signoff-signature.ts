// What a sign-off signs: who, when, which phase of which run, the statement, and the
// audit log's chain head at that moment. `audit --verify` checks each one against the
// log it finds: a log rewritten after the sign-off no longer has that head.
import type { Phase } from '../runbook/schema.js';
import type { RunState } from './run-state.js';
import { lineHash, type AuditEntry } from './audit.js';
import { parseArmored, verifySignature, fingerprint } from './sshsig.js';

export function signoffMessage(x: {
  run: RunState;
  phase: Phase;
  by: string;
  at: string;
  statement: string;
  head: { seq: number; hash: string };
  rehearsal?: { offset: string };
}): string {
  return [
    'waymark sign-off',
    `run: ${x.run.runId}`,
    `runbook: ${x.run.runbookId} ${x.run.runbookVersion} ${x.run.runbookHash}`,
    `phase: ${x.phase.id} ${JSON.stringify(x.phase.title)}`,
    `signed off by: ${x.by}`,
    `at: ${x.at}${x.rehearsal ? ` (rehearsal clock +${x.rehearsal.offset})` : ''}`,
    `statement: ${JSON.stringify(x.statement)}`,
    `audit head: ${x.head.seq} ${x.head.hash}`,
    '',
  ].join('\n');
}

export interface SignoffCheck {
  seq: number;
  phaseId: string;
  keyFingerprint?: string;
  problem?: string;
  /** the key blob that signed, to check against an allowed_signers file */
  publicKey?: Buffer;
  signer?: string;
}

/** Checks every sign-off signature in a log against the log's own lines. */
export function checkSignoffSignatures(entries: AuditEntry[], lines: string[]): SignoffCheck[] {
  const out: SignoffCheck[] = [];
  for (const e of entries) {
    if (e.event !== 'phase.signature') continue;
    const d = e.data as { phaseId: string; message: string; armored: string };
    const res: SignoffCheck = { seq: e.seq, phaseId: d.phaseId };
    try {
      const sig = parseArmored(d.armored);
      res.keyFingerprint = fingerprint(sig.publicKey);
      res.publicKey = sig.publicKey;
      res.signer = /^signed off by: (.*)$/m.exec(d.message)?.[1];
      const bad = verifySignature(Buffer.from(d.message), sig);
      const head = /^audit head: (\d+) ([0-9a-f]{64})$/m.exec(d.message);
      if (bad) res.problem = bad;
      else if (!head) res.problem = 'the signed sign-off names no audit chain head';
      else if (!lines[+head[1] - 1] || lineHash(lines[+head[1] - 1]) !== head[2])
        res.problem =
          `the audit log no longer has the chain head this sign-off signed (line ${head[1]}): it ` + `was rewritten`;
    } catch (err) {
      res.problem = `the signature is unreadable (${(err as Error).message})`;
    }
    out.push(res);
  }
  return out;
}

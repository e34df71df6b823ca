// Four-eyes sign-off: another person approves a phase's sign-off from their own terminal,
// with their own key, while the signer's session may still be open.
//
// That session is the run's only writer, so an approval does not write the run: it is a
// signed document dropped into the run's approvals folder, one file per approver key,
// created with link() so that of any number of attempts by one person exactly one lands.
// The writing session (the open one, or the approver's own when none is open) takes it from
// there into the audit log and the state, where the rules decide whether it counts.
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Phase } from '../runbook/schema.js';
import type { ApprovalRecord, RunState, SignoffRecord } from './run-state.js';
import { parseArmored, verifySignature, fingerprint } from './sshsig.js';
import type { AuditEntry } from './audit.js';
import { syncFolder } from './durable.js';

/** What an approver signs: the run, the phase, and the very sign-off (who, when, its signature's key). */
export function approvalMessage(x: {
  run: RunState;
  phase: Phase;
  signoff: SignoffRecord;
  by: string;
  host: string;
  at: string;
}): string {
  return [
    'waymark approval',
    `run: ${x.run.runId}`,
    `runbook: ${x.run.runbookId} ${x.run.runbookVersion} ${x.run.runbookHash}`,
    `phase: ${x.phase.id} ${JSON.stringify(x.phase.title)}`,
    `sign-off: by ${x.signoff.by} at ${x.signoff.at} key ${x.signoff.signature?.keyFingerprint ?? '(unsigned)'}`,
    `approved by: ${x.by} on ${x.host}`,
    `at: ${x.at}`,
    '',
  ].join('\n');
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** The file an approver's approval of a phase goes to: one per phase and key. */
export function approvalFile(dir: string, phaseId: string, keyFingerprint: string): string {
  return join(dir, `${slug(phaseId)}--${slug(keyFingerprint)}.json`);
}

export class AlreadyApproved extends Error {
  override name = 'AlreadyApproved';
}

/**
 * Drops a signed approval into the folder. Written whole and flushed under a name of its own,
 * then linked to its final name: link() fails when that name exists, so one attempt wins.
 */
export function dropApproval(dir: string, phaseId: string, approval: ApprovalRecord): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = approvalFile(dir, phaseId, approval.keyFingerprint);
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify({ phaseId, approval }, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const had = readDropped(file);
      throw new AlreadyApproved(
        `${had?.approval.by ?? 'this key'} already approved this phase with that key (at ${had?.approval.at ?? '?'})`,
      );
    }
    throw e;
  } finally {
    unlinkSync(tmp);
  }
  syncFolder(dir);
  return file;
}

export interface Dropped {
  phaseId: string;
  approval: ApprovalRecord;
}

function readDropped(file: string): Dropped | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Dropped;
  } catch {
    return undefined;
  }
}

/** The approvals in the folder, oldest name first; a file that is not one is left alone and named. */
export function droppedApprovals(dir: string): Array<{ file: string; dropped?: Dropped }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: join(dir, f), dropped: readDropped(join(dir, f)) }));
}

/**
 * Why an approval cannot be what it claims, or undefined: its signature verifies, its key is
 * the one it names, and it signs the sign-off in force of this run's phase.
 */
export function approvalProblem(a: ApprovalRecord, expected: string): string | undefined {
  try {
    const sig = parseArmored(a.armored);
    if (fingerprint(sig.publicKey) !== a.keyFingerprint) return 'its signature is by another key than it names';
    const bad = verifySignature(Buffer.from(a.message), sig);
    if (bad) return bad;
  } catch (e) {
    return `its signature is unreadable (${(e as Error).message})`;
  }
  if (a.message !== expected) return 'it approves another sign-off (the phase was reopened and signed off again)';
  return undefined;
}

export interface ApprovalCheck {
  seq: number;
  phaseId: string;
  by: string;
  keyFingerprint: string;
  publicKey?: Buffer;
  problem?: string;
}

/** Every recorded approval's signature, for `audit --verify`. */
export function checkApprovalSignatures(entries: AuditEntry[]): ApprovalCheck[] {
  return entries
    .filter((e) => e.event === 'phase.approve')
    .map((e) => {
      const d = e.data as { phaseId: string; approval: ApprovalRecord };
      const res: ApprovalCheck = {
        seq: e.seq,
        phaseId: d.phaseId,
        by: d.approval.by,
        keyFingerprint: d.approval.keyFingerprint,
      };
      try {
        const sig = parseArmored(d.approval.armored);
        res.publicKey = sig.publicKey;
        if (fingerprint(sig.publicKey) !== d.approval.keyFingerprint) res.problem = 'signed by another key than named';
        else res.problem = verifySignature(Buffer.from(d.approval.message), sig);
      } catch (err) {
        res.problem = `the signature is unreadable (${(err as Error).message})`;
      }
      return res;
    });
}

// Who signed each sign-off and approval, checked against the keys a team trusts.
//
// A valid signature only says that some key signed: anyone can make a key and sign under any
// name. So a sign-off counts as alice's only when its key is listed for alice in the
// allowed_signers file (ssh-keygen's, git's gpg.ssh.allowedSignersFile). `audit --verify`,
// `report` and `verify` all ask this module, so the three give the same answer.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Runbook } from '../runbook/schema.js';
import { allowed, parseAllowedSigners, principalsFor, type AllowedSigner } from './allowed-signers.js';
import { fingerprint, NAMESPACE, parseArmored, verifySignature } from './sshsig.js';
import { identityOf } from './ssh-keys.js';

export interface TrustFile {
  file: string;
  signers: AllowedSigner[];
  problems: string[];
}

/**
 * The trust file: the one named, else the runbook's `allowed_signers`, else
 * `.waymark/allowed_signers` beside the runbook; undefined when there is none.
 */
export function findTrustFile(
  named: string | undefined,
  runbookFile: string,
  runbook?: Pick<Runbook, 'allowed_signers'>,
): string | undefined {
  if (named) return named;
  const dir = dirname(resolve(runbookFile));
  if (runbook?.allowed_signers) return resolve(dir, runbook.allowed_signers);
  const beside = join(dir, '.waymark', 'allowed_signers');
  return existsSync(beside) ? beside : undefined;
}

export function readTrustFile(file: string): TrustFile {
  const { signers, problems } = parseAllowedSigners(readFileSync(file, 'utf8'));
  return { file, signers, problems };
}

export type Trust = 'trusted' | 'untrusted' | 'no-trust-file';

/** One signed statement: a sign-off or an approval, as the log and the reports carry it. */
export interface Proof {
  kind: 'sign-off' | 'approval';
  phaseId: string;
  /** who the record says signed */
  by: string;
  at?: string;
  /** the exact text that was signed, and its SSHSIG */
  message: string;
  armored: string;
  /** the audit line that holds it, when it comes from a log */
  seq?: number;
}

export interface ProofCheck {
  proof: Proof;
  keyFingerprint?: string;
  /** the signature does not hold (or does not sign what the record says): nothing else matters */
  problem?: string;
  trust: Trust;
  /** who the trust file lists the key for, when not the name the sign-off claims */
  keyBelongsTo?: string[];
}

/** The line of a signed text that names its signer: a sign-off's and an approval's. */
function namesSigner(p: Proof): boolean {
  const lines = p.message.split('\n');
  if (p.kind === 'sign-off') return lines.includes(`signed off by: ${p.by}`);
  return lines.some((l) => l.startsWith(`approved by: ${p.by} on `));
}

/**
 * Checks one proof: its signature, that it signs what the record claims, and whether its key is
 * trusted for the name.
 */
export function checkProof(p: Proof, trust: TrustFile | undefined, now = new Date()): ProofCheck {
  let sig;
  try {
    sig = parseArmored(p.armored);
  } catch (e) {
    return { proof: p, trust: 'untrusted', problem: `its signature is unreadable (${(e as Error).message})` };
  }
  const keyFingerprint = fingerprint(sig.publicKey);
  const bad = verifySignature(Buffer.from(p.message), sig);
  if (bad) return { proof: p, keyFingerprint, trust: 'untrusted', problem: bad };
  if (!namesSigner(p))
    return { proof: p, keyFingerprint, trust: 'untrusted', problem: `the signed text does not name ${p.by}` };
  if (!trust) return { proof: p, keyFingerprint, trust: 'no-trust-file' };
  const identity = identityOf(p.by);
  if (allowed(trust.signers, identity, sig.publicKey, NAMESPACE, now))
    return { proof: p, keyFingerprint, trust: 'trusted' };
  return {
    proof: p,
    keyFingerprint,
    trust: 'untrusted',
    keyBelongsTo: principalsFor(trust.signers, sig.publicKey, NAMESPACE, now),
  };
}

/** "sign-off of one by alice" */
export function proofLabel(p: Proof): string {
  return `${p.kind} of ${p.phaseId} by ${p.by}`;
}

/** Why a proof does not count, in one clause; undefined when it is trusted. */
export function whyNotTrusted(c: ProofCheck, trustFile?: string): string | undefined {
  if (c.problem) return c.problem;
  if (c.trust === 'trusted') return undefined;
  if (c.trust === 'no-trust-file') return 'no trust file to check its key against';
  const where = trustFile ? ` in ${trustFile}` : '';
  return c.keyBelongsTo?.length
    ? `key ${c.keyFingerprint} is not trusted for "${identityOf(c.proof.by)}"${where} (it is listed for ` +
        `${c.keyBelongsTo.join(', ')})`
    : `key ${c.keyFingerprint} is not trusted for "${identityOf(c.proof.by)}": it is not listed${where}`;
}

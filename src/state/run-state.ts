// The run's state: everything Waymark knows about where an operator stands.
// Plain JSON, schema-versioned, never holding a secret.
import type { CheckResult, Metric } from '../checks/types.js';

export const STATE_SCHEMA = 2;

export type StepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'overridden' | 'interrupted';
export type PhaseStatus = 'pending' | 'active' | 'signed-off';

export interface OutputTailLine {
  at: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface StepState {
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  operator?: string;
  /** why it was skipped, overridden or marked done */
  reason?: string;
  /** the command as run, secrets masked */
  command?: string;
  exitCode?: number | null;
  durationMs?: number;
  outputTail?: OutputTailLine[];
  checkId?: string;
  check?: CheckResult;
  /** accepted by --yes rather than by a person at the keyboard */
  autoConfirmed?: boolean;
  message?: string;
  attempts?: number;
  /** the process group of a running command, to tell after a crash whether it still runs */
  process?: { pid: number; host: string };
  /** interrupted while it ran on another host, whose process cannot be seen from here: it may still run */
  elsewhere?: { pid: number; host: string };
  /** every finished attempt, oldest first: failed, interrupted, retried, skipped, overridden */
  history?: Attempt[];
  /** this attempt runs a step again that had passed (been skipped, overridden): what it was */
  rerunOf?: StepStatus;
}

/** One finished attempt of a step, as the report shows it. */
export interface Attempt {
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  operator?: string;
  reason?: string;
  message?: string;
  exitCode?: number | null;
  durationMs?: number;
  autoConfirmed?: boolean;
  /** a wait passed before it was due */
  early?: { notBefore?: string };
  /** interrupted on another host: who said it has stopped there, when, and how they knew */
  confirmedStopped?: { by: string; at: string; reason: string };
  /** run again after it had passed (been skipped, overridden): what it was, confirmed by the operator who ran it */
  rerunOf?: StepStatus;
}

/** The outcome a step holds now, as an entry of its history. */
export function attemptOf(st: StepState): Attempt {
  const { status, startedAt, finishedAt, operator, reason, message, exitCode, durationMs, autoConfirmed } = st;
  const a: Attempt = { status, startedAt, finishedAt, operator, reason, message, exitCode, durationMs, autoConfirmed };
  if (st.rerunOf) a.rerunOf = st.rerunOf;
  return a;
}

/** A sign-off or a reopening of a phase: the record keeps every one. */
export interface SignoffRecord {
  kind: 'signed-off' | 'reopened';
  by: string;
  at: string;
  statement?: string;
  reason?: string;
  auto?: boolean;
  /** the SSHSIG over the sign-off and the audit chain head, when it was signed */
  signature?: SignoffSignature;
  /** gate overrides voided by a reopening, kept in the record */
  voidedOverrides?: Override[];
  /** approvals of this sign-off by other people (a phase's `approvals`), each signed by its approver */
  approvals?: ApprovalRecord[];
}

/** One person's signed approval of a sign-off. */
export interface ApprovalRecord {
  by: string;
  host: string;
  at: string;
  keyFingerprint: string;
  armored: string;
  /** the exact text that was signed (approval-signature.ts) */
  message: string;
}

/** The approvals of the sign-off in force (none when the phase is not signed off). */
export function approvalsInForce(ps: PhaseState | undefined): ApprovalRecord[] {
  const last = ps?.history?.[ps.history.length - 1];
  return ps?.status === 'signed-off' && last?.kind === 'signed-off' ? (last.approvals ?? []) : [];
}

export interface SignoffSignature {
  armored: string;
  keyFingerprint: string;
  auditHead: { seq: number; hash: string };
  /** the exact text that was signed */
  message: string;
}

export interface Override {
  checkId: string;
  operator: string;
  reason: string;
  at: string;
}

export interface PhaseState {
  status: PhaseStatus;
  startedAt?: string;
  signedOffAt?: string;
  signedOffBy?: string;
  statement?: string;
  overrides: Override[];
  reportDigest?: string;
  /** the latest reopening: gate evidence counts from here */
  reopenedAt?: string;
  history?: SignoffRecord[];
}

export interface Baseline {
  at: string;
  checkId: string;
  metrics: Record<string, Metric>;
}

/** A value an operator gave the run (an input): its value unless it is secret, who gave it, when, where. */
export interface GivenInput {
  value?: string;
  secret?: boolean;
  by: string;
  at: string;
  /** the step that asked for it (a decision), as scope/stepId */
  step?: string;
  /** the input's default, taken by --yes */
  auto?: boolean;
}

/** A value a step captured from its output: the value unless it is secret. */
export interface CapturedValue {
  value?: string;
  secret?: boolean;
  at: string;
}

/** The run a run was promoted from: which, its record's head, and each phase's trusted sign-off. */
export interface PromotedFrom {
  environment: string;
  runId: string;
  runbookHash: string;
  /** its audit log's head when the promotion was checked: the whole record it vouches for */
  auditHead?: { seq: number; hash: string };
  phases: Array<{ id: string; by: string; at?: string; keyFingerprint?: string; reportDigest?: string }>;
}

export interface RunState {
  schema: number;
  runId: string;
  runbookId: string;
  runbookVersion: string;
  runbookHash: string;
  partHashes: Record<string, string>;
  fingerprint: string;
  target: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  phases: Record<string, PhaseState>;
  /** keyed by `scope/stepId`; scope is a phase id, `rollback:ID`, `troubleshooting:ID` or `maintenance:NAME` */
  steps: Record<string, StepState>;
  /** latest result per check id */
  checks: Record<string, CheckResult>;
  baselines: Record<string, Baseline>;
  drift?: { hash: string; changed: string[]; acknowledgedBy?: string; acknowledgedAt?: string };
  /** step the operator was last on, to resume there */
  cursor?: { scope: string; stepId: string };
  seq: number;
  /** the audit log's head this state includes: the log is written first, and must still have it */
  audit?: { seq: number; hash: string };
  /** a run started with a moved clock is a rehearsal for its whole life */
  rehearsal?: { offset: string; offsetMs: number };
  /** the environment the run is of (--env): part of its identity */
  environment?: string;
  /** the run of another environment this one was promoted from (promote_from), as checked when it began */
  promotedFrom?: PromotedFrom;
  /** the inputs given so far, by name */
  inputs?: Record<string, GivenInput>;
  /** the values steps captured, by step key, then by name */
  captured?: Record<string, Record<string, CapturedValue>>;
  /** rollback procedures begun and then abandoned, with who said why: each stays in the record */
  abandoned?: Record<string, Array<{ by: string; at: string; reason: string; stepsDone: number }>>;
}

export { stepKey, splitStepKey } from '../runbook/step-key.js';

export const DONE: ReadonlySet<StepStatus> = new Set(['passed', 'skipped', 'overridden']);

/**
 * Brings a state document of an older schema forward, or says why it cannot.
 * Schema 1 kept only each step's last outcome and one sign-off per phase: they
 * become the first entry of the new histories.
 */
export function migrateState(doc: RunState): RunState {
  if (doc.schema === STATE_SCHEMA) return doc;
  if (doc.schema !== 1)
    throw new Error(`schema ${String(doc.schema)}; this Waymark reads schemas 1 and ${STATE_SCHEMA}`);
  const steps: Record<string, StepState> = {};
  for (const [k, st] of Object.entries(doc.steps)) {
    const done = st.status !== 'pending' && st.status !== 'running';
    steps[k] = done ? { ...st, history: [attemptOf(st)] } : st;
  }
  const phases: Record<string, PhaseState> = {};
  for (const [k, ps] of Object.entries(doc.phases)) {
    const signed = ps.status === 'signed-off' && ps.signedOffBy && ps.signedOffAt;
    const history: SignoffRecord[] = signed
      ? [{ kind: 'signed-off', by: ps.signedOffBy!, at: ps.signedOffAt!, statement: ps.statement }]
      : [];
    phases[k] = { ...ps, history };
  }
  return { ...doc, schema: STATE_SCHEMA, steps, phases };
}

/** "REHEARSAL · clock +8d": how every screen names a rehearsal's clock. */
export function rehearsalLabel(r: { offset: string } | undefined): string | undefined {
  return r ? `REHEARSAL · clock +${r.offset}` : undefined;
}

/** The run's environment, and what it was promoted from, in a line; undefined for a run of none. */
export function environmentLine(st: Pick<RunState, 'environment' | 'promotedFrom'>): string | undefined {
  const from = st.promotedFrom;
  if (!st.environment) return undefined;
  return (
    `environment: ${st.environment}` +
    (from ? ` (promoted from ${from.environment} run ${from.runId}, every phase signed off by trusted keys)` : '')
  );
}

// The run's state: everything Waymark knows about where an operator stands.
// Plain JSON, schema-versioned, never holding a secret.
import type { CheckResult, Metric } from '../checks/types.js';

export const STATE_SCHEMA = 1;

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
}

export interface Baseline {
  at: string;
  checkId: string;
  metrics: Record<string, Metric>;
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
}

export function stepKey(scope: string, stepId: string): string {
  return `${scope}/${stepId}`;
}

export function splitStepKey(key: string): { scope: string; stepId: string } {
  const i = key.lastIndexOf('/');
  return { scope: key.slice(0, i), stepId: key.slice(i + 1) };
}

export const DONE: ReadonlySet<StepStatus> = new Set(['passed', 'skipped', 'overridden']);

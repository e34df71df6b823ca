// What the engine reads and returns: the events fed to `reduce`, the effects it asks the session
// to carry out, and its outcome. Types only, so the engine's handlers and its callers share them.
import type { CheckResult } from '../checks/types.js';
import type { ApprovalRecord, OutputTailLine, RunState, SignoffSignature } from '../state/run-state.js';
import type { Refusal } from './wording.js';

export type EngineEvent =
  | {
      type: 'step.start';
      scope: string;
      stepId: string;
      confirmWord?: string;
      pnrConfirmed?: boolean;
      auto?: boolean;
      /** the operator confirmed running again a step that is done */
      rerun?: boolean;
    }
  | {
      type: 'step.confirm';
      scope: string;
      stepId: string;
      note?: string;
      auto?: boolean;
      confirmWord?: string;
      pnrConfirmed?: boolean;
      rerun?: boolean;
    }
  | {
      type: 'step.finished';
      scope: string;
      stepId: string;
      ok: boolean;
      exitCode?: number | null;
      durationMs?: number;
      outputTail?: OutputTailLine[];
      command?: string;
      message?: string;
      check?: CheckResult;
      interrupted?: boolean;
      /** the values it captured (a secret one without its value) */
      captured?: Record<string, { value?: string; secret?: boolean }>;
    }
  /** an operator gave an input (a secret one's value stays with the session, never in the event) */
  | { type: 'input.given'; name: string; value?: string; step?: string; auto?: boolean }
  | { type: 'step.skip'; scope: string; stepId: string; reason: string }
  | { type: 'step.mark-done'; scope: string; stepId: string; reason: string }
  | { type: 'wait.override'; scope: string; stepId: string; reason: string }
  | { type: 'check.result'; result: CheckResult; record?: boolean }
  | { type: 'gate.override'; phaseId: string; checkId: string; reason: string }
  | { type: 'phase.signoff'; phaseId: string; statement?: string; auto?: boolean }
  | { type: 'phase.signature'; phaseId: string; signature: SignoffSignature }
  | { type: 'phase.reopen'; phaseId: string; reason: string }
  /** another person's signed approval of the sign-off in force (a phase with `approvals` > 1) */
  | { type: 'phase.approve'; phaseId: string; approval: ApprovalRecord }
  | { type: 'drift.ack' }
  /** steps left running by a session that died are interrupted, but for those whose process still runs */
  | { type: 'recover'; keep?: string[]; host?: string }
  /** an operator confirms that a step left running on another host has stopped there */
  | { type: 'step.confirm-stopped'; scope: string; stepId: string; reason: string }
  | { type: 'step.process'; scope: string; stepId: string; pid: number; host: string }
  | { type: 'report.recorded'; phaseId: string; digest: string }
  /** a rollback procedure begun and given up: it stops being shown as in progress; its steps stay as they are */
  | { type: 'rollback.abandon'; procedureId: string; reason: string }
  /** a rehearsal resumed with another WAYMARK_CLOCK_OFFSET: its clock moves from here on */
  | { type: 'clock.offset-changed'; from: string; to: string; rehearsal: RunState['rehearsal'] }
  /** the demo's run keeps its identity while its ports move: screens and reports name the new target */
  | { type: 'run.target-moved'; from: Record<string, string>; to: Record<string, string> }
  /** the runbook changed since the run began: which parts, until an operator acknowledges it */
  | { type: 'runbook.drift'; changed: string[]; hash: string; partHashes: Record<string, string> };

export type Effect =
  | { type: 'run-command'; scope: string; stepId: string }
  | { type: 'run-check'; scope: string; stepId: string; checkId: string }
  | { type: 'edit-env'; scope: string; stepId: string }
  /** a phase was signed off: sign the sign-off and the audit chain head with the operator's key */
  | { type: 'sign-phase'; phaseId: string };

export interface EngineContext {
  now: Date;
  operator: string;
}

/** A refused event says why in plain words (`error`) and, when the rules refused it, as facts (`refusal`). */
export type Outcome =
  { ok: true; state: RunState; effects: Effect[]; note?: string } | { ok: false; error: string; refusal?: Refusal };

export type EventOf<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

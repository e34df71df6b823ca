// The state is what the audit log says happened: `reduce` is pure, so replaying the log's
// events gives the state back. Used after a crash between writing the log and the state
// (the log is a step ahead) and by `waymark repair` when the state file is lost or damaged.
// Output tails and check evidence are not in the log, so a replayed step has none.
import type { Runbook } from '../runbook/schema.js';
import type { AuditEntry } from '../state/audit.js';
import { lineHash } from '../state/audit.js';
import { reduce, type EngineEvent } from './engine.js';
import { STATE_SCHEMA, type RunState } from '../state/run-state.js';

/** Engine events as the log keeps them: under their own name, the event as data. */
const ENGINE = new Set([
  'step.start',
  'step.confirm',
  'step.finished',
  'step.skip',
  'step.mark-done',
  'wait.override',
  'gate.override',
  'phase.signoff',
  'phase.reopen',
  'drift.ack',
  'recover',
  'report.recorded',
  'step.process',
  'rollback.abandon',
]);

/** Entries that change the state when replayed; the others are notes (sessions, locks, reports written). */
const STATEFUL = new Set([
  ...ENGINE,
  'run.created',
  'check.result',
  'phase.signature',
  'run.target-moved',
  'runbook.drift',
  'clock.offset-changed',
]);

export function changesState(e: AuditEntry): boolean {
  return STATEFUL.has(e.event);
}

type Data = Record<string, unknown>;

/** Applies one logged event to a state; undefined when the entry changes no state (notes, sessions). */
export function applyEntry(rb: Runbook, state: RunState | undefined, e: AuditEntry): RunState | undefined {
  const d = (e.data ?? {}) as Data;
  const at = e.clock ?? e.at;
  if (e.event === 'run.created') {
    return {
      schema: STATE_SCHEMA,
      runId: d.runId as string,
      runbookId: d.runbook as string,
      runbookVersion: d.version as string,
      runbookHash: d.hash as string,
      partHashes: (d.partHashes as Record<string, string>) ?? {},
      fingerprint: (d.fingerprint as string) ?? '',
      target: (d.target as Record<string, string>) ?? {},
      createdAt: at,
      updatedAt: at,
      phases: {},
      steps: {},
      checks: {},
      baselines: {},
      seq: 0,
      rehearsal: d.rehearsal as RunState['rehearsal'],
    };
  }
  if (!state) return undefined;
  let event: EngineEvent | undefined;
  if (ENGINE.has(e.event)) event = d as unknown as EngineEvent;
  else if (e.event === 'check.result') event = { type: 'check.result', result: d as never };
  else if (e.event === 'phase.signature') {
    const { phaseId, armored, keyFingerprint, auditHead, message } = d as Data & {
      auditHead: { seq: number; hash: string };
    };
    event = {
      type: 'phase.signature',
      phaseId: phaseId as string,
      signature: {
        armored: armored as string,
        keyFingerprint: keyFingerprint as string,
        auditHead,
        message: message as string,
      },
    };
  } else if (e.event === 'run.target-moved') return { ...state, target: d.to as Record<string, string>, updatedAt: at };
  else if (e.event === 'runbook.drift')
    return {
      ...state,
      drift: { hash: d.hash as string, changed: d.changed as string[] },
      partHashes: (d.partHashes as Record<string, string>) ?? state.partHashes,
    };
  else if (e.event === 'clock.offset-changed') return { ...state, rehearsal: d.rehearsal as RunState['rehearsal'] };
  if (!event) return undefined;
  const r = reduce(rb, state, event, { now: new Date(at), operator: e.operator });
  // a refusal here means the event was refused when it happened too: it changed nothing then
  return r.ok ? r.state : undefined;
}

/** Applies the entries after the state's head; the state then names the log's head. */
export function replay(
  rb: Runbook,
  state: RunState | undefined,
  entries: AuditEntry[],
  lines: string[],
): RunState | undefined {
  let s = state;
  for (const e of entries) {
    s = applyEntry(rb, s, e) ?? s;
    if (s) s = { ...s, audit: { seq: e.seq, hash: lineHash(lines[e.seq - 1]) } };
  }
  return s;
}

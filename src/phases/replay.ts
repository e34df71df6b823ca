// The state is what the audit log says happened: `reduce` is pure, so the state is a fold of
// `reduce` over the log's events. Used after a crash between writing the log and the state (the
// log is a step ahead) and by `waymark repair` when the state file is lost or damaged. Output
// tails and check evidence are not in the log, so a replayed step has none.
import type { Runbook } from '../runbook/schema.js';
import type { AuditEntry } from '../state/audit.js';
import { lineHash } from '../state/audit.js';
import { reduce } from './engine.js';
import type { EngineEvent } from './events.js';
import { STATE_SCHEMA, type RunState } from '../state/run-state.js';

/** Engine events as the log keeps them: under their own name, the event's fields as data. */
const ENGINE = new Set<EngineEvent['type']>([
  'step.start',
  'step.confirm',
  'step.finished',
  'step.skip',
  'step.mark-done',
  'step.confirm-stopped',
  'wait.override',
  'gate.override',
  'phase.signoff',
  'phase.approve',
  'phase.reopen',
  'drift.ack',
  'recover',
  'report.recorded',
  'step.process',
  'rollback.abandon',
  'input.given',
  'clock.offset-changed',
  'run.target-moved',
  'runbook.drift',
]);

/** Entries that change the state when replayed; the others are notes (sessions, locks, reports written). */
const STATEFUL = new Set<string>([...ENGINE, 'run.created', 'check.result', 'phase.signature']);

export function changesState(e: AuditEntry): boolean {
  return STATEFUL.has(e.event);
}

type Data = Record<string, unknown>;

/** What `run.created` records, in the shape a new run's state starts from. */
export interface RunCreated {
  runId: string;
  runbook: string;
  version: string;
  hash: string;
  target: Record<string, string>;
  rehearsal?: RunState['rehearsal'];
  fingerprint: string;
  partHashes: Record<string, string>;
  environment?: string;
  promotedFrom?: RunState['promotedFrom'];
}

/** A new run's first state: the same whether the run is being created or replayed from its log. */
export function createdState(d: RunCreated, at: string): RunState {
  return {
    schema: STATE_SCHEMA,
    runId: d.runId,
    runbookId: d.runbook,
    runbookVersion: d.version,
    runbookHash: d.hash,
    partHashes: d.partHashes ?? {},
    fingerprint: d.fingerprint ?? '',
    target: d.target ?? {},
    createdAt: at,
    updatedAt: at,
    phases: {},
    steps: {},
    checks: {},
    baselines: {},
    seq: 0,
    rehearsal: d.rehearsal,
    ...(d.environment ? { environment: d.environment } : {}),
    ...(d.promotedFrom ? { promotedFrom: d.promotedFrom } : {}),
  };
}

/** The engine event a logged entry records; undefined for a note (sessions, locks, reports written). */
export function eventOf(e: AuditEntry): EngineEvent | undefined {
  const d = (e.data ?? {}) as Data;
  if (ENGINE.has(e.event as EngineEvent['type'])) return { ...d, type: e.event } as EngineEvent;
  if (e.event === 'check.result') return { type: 'check.result', result: d as never };
  if (e.event !== 'phase.signature') return undefined;
  const { phaseId, armored, keyFingerprint, auditHead, message } = d as Data & {
    auditHead: { seq: number; hash: string };
  };
  return {
    type: 'phase.signature',
    phaseId: phaseId as string,
    signature: {
      armored: armored as string,
      keyFingerprint: keyFingerprint as string,
      auditHead,
      message: message as string,
    },
  };
}

/** Applies one logged event to a state; undefined when the entry changes no state (notes, sessions). */
export function applyEntry(rb: Runbook, state: RunState | undefined, e: AuditEntry): RunState | undefined {
  const at = e.clock ?? e.at;
  if (e.event === 'run.created') return createdState(e.data as RunCreated, at);
  const event = state && eventOf(e);
  if (!state || !event) return undefined;
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

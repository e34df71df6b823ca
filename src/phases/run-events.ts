// The engine's handlers for the run as a whole: check results, a changed runbook and its
// acknowledgement, a rollback given up, and the facts a session finds as it opens a run (a
// rehearsal's clock moved, the demo's target moved, the runbook changed).
import { rollbackProgress } from './rules.js';
import type { EventOf } from './events.js';
import { recordCheck, refuse, unchanged, type Handlers, type Turn } from './engine-state.js';

function abandonRollback(event: EventOf<'rollback.abandon'>, t: Turn) {
  const no = t.refusal({ type: 'abandon-rollback', procedureId: event.procedureId }, event);
  if (no) return no;
  const p = rollbackProgress(t.rb, t.state, event.procedureId)!;
  const entry = { by: t.ctx.operator, at: t.now, reason: event.reason.trim(), stepsDone: p.done };
  const abandoned = { ...t.state.abandoned, [p.id]: [...(t.state.abandoned?.[p.id] ?? []), entry] };
  return t.ok({ ...t.state, abandoned });
}

function acknowledgeDrift(_: EventOf<'drift.ack'>, t: Turn) {
  const drift = t.state.drift;
  if (!drift || drift.acknowledgedAt) return refuse('there is no runbook change to acknowledge');
  const acknowledged = { ...drift, acknowledgedBy: t.ctx.operator, acknowledgedAt: t.now };
  return t.ok({ ...t.state, runbookHash: drift.hash, drift: acknowledged });
}

export const runHandlers: Pick<
  Handlers,
  'check.result' | 'drift.ack' | 'rollback.abandon' | 'clock.offset-changed' | 'run.target-moved' | 'runbook.drift'
> = {
  'check.result': (event, t) => t.ok(recordCheck(t.rb, t.state, event.result)),
  'drift.ack': acknowledgeDrift,
  'rollback.abandon': abandonRollback,
  // facts found as a session opens: recorded as they are, neither the run's time nor its sequence moves
  'clock.offset-changed': (event, t) => unchanged({ ...t.state, rehearsal: event.rehearsal }),
  'run.target-moved': (event, t) => unchanged({ ...t.state, target: event.to, updatedAt: t.now }),
  'runbook.drift': (event, t) =>
    unchanged({
      ...t.state,
      drift: { hash: event.hash, changed: event.changed },
      partHashes: event.partHashes ?? t.state.partHashes,
    }),
};

// The engine's handlers for the run as a whole: check results, a changed runbook and its
// acknowledgement, a rollback given up, and the facts a session finds as it opens a run (a
// rehearsal's clock moved, the demo's target moved, the runbook changed).
import { rollbackProgress } from './rules.js';
import { inputProblem } from '../runbook/values.js';
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

/** An input given: recorded with who gave it; a secret one as given, never its value. */
function inputGiven(event: EventOf<'input.given'>, t: Turn) {
  const def = t.rb.inputs[event.name];
  if (!def) return refuse(`the runbook has no input "${event.name}"`);
  if (def.secret && event.value !== undefined)
    return refuse(`input "${event.name}" is secret: its value is never recorded`);
  const bad = def.secret ? undefined : inputProblem(event.name, def, event.value);
  if (bad) return refuse(bad);
  const given = {
    ...(def.secret ? { secret: true } : { value: event.value }),
    by: t.ctx.operator,
    at: t.now,
    ...(event.step ? { step: event.step } : {}),
    ...(event.auto ? { auto: true } : {}),
  };
  return t.ok({ ...t.state, inputs: { ...t.state.inputs, [event.name]: given } });
}

export const runHandlers: Pick<
  Handlers,
  | 'input.given'
  | 'check.result'
  | 'drift.ack'
  | 'rollback.abandon'
  | 'clock.offset-changed'
  | 'run.target-moved'
  | 'runbook.drift'
> = {
  'input.given': inputGiven,
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

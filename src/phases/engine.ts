// The engine: (runbook, state, event) → (state, effects). Pure: no I/O, no clock of its own, no
// Ink. The session runs the effects and feeds their results back; replaying the audit log is a
// fold of `reduce` over its events (replay.ts). Every refusal comes from the rules (rules.ts);
// the engine only applies what they allow. Each event has one small handler: steps in
// step-events.ts, phases in phase-events.ts, the run as a whole in run-events.ts.
import type { Runbook } from '../runbook/schema.js';
import type { RunState } from '../state/run-state.js';
import { can } from './rules.js';
import type { EngineContext, EngineEvent, Outcome } from './events.js';
import { touch, unmet, type Handler, type Handlers, type Turn } from './engine-state.js';
import { stepHandlers } from './step-events.js';
import { phaseHandlers } from './phase-events.js';
import { runHandlers } from './run-events.js';

export type { EngineEvent, Effect, EngineContext, Outcome } from './events.js';

const HANDLERS: Handlers = { ...stepHandlers, ...phaseHandlers, ...runHandlers };

export function reduce(rb: Runbook, state: RunState, event: EngineEvent, ctx: EngineContext): Outcome {
  const turn: Turn = {
    rb,
    state,
    ctx,
    now: ctx.now.toISOString(),
    ok: (s, effects = [], note) => ({ ok: true, state: touch(s, ctx.now), effects, note }),
    refusal: (action, given = {}) => {
      const v = can(rb, state, action, ctx.now);
      if (!v.ok) return { ok: false, error: v.why, refusal: v.refusal };
      const missing = unmet(v.needs, given);
      return missing === undefined ? undefined : { ok: false, error: missing };
    },
    reduce: (s, next) => reduce(rb, s, next, ctx),
  };
  const handler = HANDLERS[event.type] as Handler<typeof event.type> | undefined;
  if (!handler) return { ok: false, error: `unknown event "${(event as { type: string }).type}"` };
  return handler(event, turn);
}

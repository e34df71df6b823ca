// The rules and the engine on values: a step that uses a value nobody captured is refused with a
// sentence; its inputs are needs, asked before it starts; an input given is recorded with who,
// when and at which step, a secret one never with its value; a captured value is recorded.
import { describe, it, expect } from 'vitest';
import { loadRunbook } from '../../src/load/loader.js';
import { reduce, type EngineEvent } from '../../src/phases/engine.js';
import { can } from '../../src/phases/rules.js';
import type { RunState } from '../../src/state/run-state.js';
import { freshState, T0 } from '../helpers/engine.js';

const rb = loadRunbook('test/fixtures/values.yaml').runbook;
const ctx = { now: T0, operator: 'alice' };

function apply(state: RunState, ...events: EngineEvent[]): RunState {
  let s = state;
  for (const e of events) {
    const r = reduce(rb, s, e, ctx);
    if (!r.ok) throw new Error(`${e.type}: ${r.error}`);
    s = r.state;
  }
  return s;
}

describe('values in the engine', () => {
  it('a step using a value its step has not captured is refused, in words that name both steps', () => {
    const s = apply(freshState(), {
      type: 'step.mark-done',
      scope: 'a',
      stepId: 'backup',
      reason: 'done by hand earlier',
    });
    const v = can(rb, s, { type: 'start', scope: 'a', stepId: 'migrate' }, T0);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.refusal.code).toBe('value-not-captured');
    expect(v.why).toBe(
      '"Migrate" uses ${steps.backup.file}, which "Back up" (a/backup) has not captured: run that step first ' +
        '(it records the value when it passes)',
    );
  });

  it('the inputs a step needs are asked first: its decision, then the others it uses; the engine waits for them', () => {
    expect(reduce(rb, freshState(), { type: 'step.start', scope: 'a', stepId: 'backup' }, ctx)).toMatchObject({
      ok: false,
      error: 'give input "target" first (Where to write)',
    });
    let s = apply(
      freshState(),
      { type: 'input.given', name: 'target', value: 'stage' },
      { type: 'step.start', scope: 'a', stepId: 'backup' },
    );
    s = apply(s, {
      type: 'step.finished',
      scope: 'a',
      stepId: 'backup',
      ok: true,
      captured: { file: { value: '/tmp/b.sql' } },
    });
    expect(s.captured?.['a/backup']).toEqual({ file: { value: '/tmp/b.sql', at: T0.toISOString() } });
    const v = can(rb, s, { type: 'start', scope: 'a', stepId: 'migrate' }, T0);
    expect(v.ok && v.needs.map((n) => (n.kind === 'input' ? `${n.name}${n.asked ? ' (asked)' : ''}` : n.kind))).toEqual(
      ['policy (asked)', 'token'],
    );
    const early = reduce(rb, s, { type: 'step.start', scope: 'a', stepId: 'migrate' }, ctx);
    expect(early).toMatchObject({ ok: false, error: 'give input "policy" first (What to do with duplicate ids)' });
    expect(reduce(rb, s, { type: 'input.given', name: 'policy', value: 'keep' }, ctx)).toMatchObject({
      ok: false,
      error: 'input "policy" is one of fail | keep-first, not "keep"',
    });
    expect(reduce(rb, s, { type: 'input.given', name: 'token', value: 'x' }, ctx)).toMatchObject({
      ok: false,
      error: 'input "token" is secret: its value is never recorded',
    });
    s = apply(
      s,
      { type: 'input.given', name: 'policy', value: 'keep-first', step: 'a/migrate' },
      { type: 'input.given', name: 'token' },
    );
    expect(s.inputs).toEqual({
      target: { value: 'stage', by: 'alice', at: T0.toISOString() },
      policy: { value: 'keep-first', by: 'alice', at: T0.toISOString(), step: 'a/migrate' },
      token: { secret: true, by: 'alice', at: T0.toISOString() },
    });
    const r = reduce(rb, s, { type: 'step.start', scope: 'a', stepId: 'migrate' }, ctx);
    expect(r.ok && r.effects).toEqual([{ type: 'run-command', scope: 'a', stepId: 'migrate' }]);
  });

  it("a decision is asked again when its step runs anew (after a failure); the run's other inputs are not", () => {
    const later = new Date(T0.getTime() + 60_000);
    let s = apply(
      freshState(),
      { type: 'input.given', name: 'target', value: 'stage' },
      { type: 'input.given', name: 'token' },
      { type: 'step.start', scope: 'a', stepId: 'backup' },
      { type: 'step.finished', scope: 'a', stepId: 'backup', ok: true, captured: { file: { value: '/b' } } },
      { type: 'input.given', name: 'policy', value: 'fail', step: 'a/migrate' },
      { type: 'step.start', scope: 'a', stepId: 'migrate' },
    );
    const failed = reduce(
      rb,
      s,
      { type: 'step.finished', scope: 'a', stepId: 'migrate', ok: false },
      {
        ...ctx,
        now: later,
      },
    );
    if (!failed.ok) throw new Error(failed.error);
    s = failed.state;
    const v = can(rb, s, { type: 'start', scope: 'a', stepId: 'migrate' }, later);
    expect(v.ok && v.needs.map((n) => (n.kind === 'input' ? n.name : n.kind))).toEqual(['policy']);
    const at = new Date(later.getTime() + 1000);
    const given = reduce(
      rb,
      s,
      { type: 'input.given', name: 'policy', value: 'keep-first', step: 'a/migrate' },
      {
        ...ctx,
        now: at,
      },
    );
    expect(given.ok).toBe(true);
    const again = can(rb, (given as { state: RunState }).state, { type: 'start', scope: 'a', stepId: 'migrate' }, at);
    expect(again.ok && again.needs).toEqual([]);
  });
});

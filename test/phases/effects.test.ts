// What the engine asks the session to do: each event's effects, exactly. Deleting an effect
// from the engine (a command that is never run, a sign-off never signed) fails here.
import { describe, it, expect } from 'vitest';
import { loadRunbookText } from '../../src/load/loader.js';
import { reduce, type EngineEvent, type Outcome } from '../../src/phases/engine.js';
import type { RunState } from '../../src/state/run-state.js';
import { T0, freshState, passed } from '../helpers/engine.js';

const rb = loadRunbookText(
  `id: t
title: T
version: 1
checks:
  ok: { type: file, params: { path: /etc/hostname } }
phases:
  - id: a
    title: A
    gate: [ok]
    steps:
      - { id: m, kind: manual, title: Manual }
      - { id: c, kind: command, title: Cmd, run: [echo, hi] }
      - { id: k, kind: check, title: Check, check: ok }
      - { id: e, kind: edit-env, title: Env, file: .env, set: { A: '1' } }
      - { id: so, kind: signoff, title: Sign }
  - id: b
    title: B
    steps:
      - { id: w, kind: wait, title: Wait, after: 'phase:a', duration: 1h }
`,
  '/tmp/effects-rb.yaml',
  { env: {} },
).runbook;

const ctx = (at = T0) => ({ now: at, operator: 'op' });
function step(state: RunState, event: EngineEvent, at?: Date): Extract<Outcome, { ok: true }> {
  const r = reduce(rb, state, event, ctx(at));
  if (!r.ok) throw new Error(r.error);
  return r;
}
const finish = (s: RunState, stepId: string) =>
  step(s, { type: 'step.finished', scope: 'a', stepId, ok: true, exitCode: 0, durationMs: 1 }).state;

describe('engine effects', () => {
  it('each step kind asks for exactly its effect; confirming, finishing and waiting ask for none', () => {
    let s = freshState();
    const confirm = step(s, { type: 'step.confirm', scope: 'a', stepId: 'm' });
    expect(confirm.effects).toEqual([]);
    s = confirm.state;

    const cmd = step(s, { type: 'step.start', scope: 'a', stepId: 'c' });
    expect(cmd.effects).toEqual([{ type: 'run-command', scope: 'a', stepId: 'c' }]);
    const done = step(cmd.state, {
      type: 'step.finished',
      scope: 'a',
      stepId: 'c',
      ok: true,
      exitCode: 0,
      durationMs: 1,
    });
    expect(done.effects).toEqual([]);
    s = done.state;

    const chk = step(s, { type: 'step.start', scope: 'a', stepId: 'k' });
    expect(chk.effects).toEqual([{ type: 'run-check', scope: 'a', stepId: 'k', checkId: 'ok' }]);
    s = step(chk.state, {
      type: 'step.finished',
      scope: 'a',
      stepId: 'k',
      ok: true,
      check: passed('ok'),
      durationMs: 1,
    }).state;

    const env = step(s, { type: 'step.start', scope: 'a', stepId: 'e' });
    expect(env.effects).toEqual([{ type: 'edit-env', scope: 'a', stepId: 'e' }]);
    s = finish(env.state, 'e');

    const sign = step(s, { type: 'step.start', scope: 'a', stepId: 'so' });
    expect(sign.effects).toEqual([{ type: 'sign-phase', phaseId: 'a' }]);
    s = sign.state;

    const later = new Date(T0.getTime() + 2 * 3_600_000);
    const wait = step(s, { type: 'step.start', scope: 'b', stepId: 'w' }, later);
    expect(wait.effects).toEqual([]);
    expect(wait.state.steps['b/w'].status).toBe('passed');
  });

  it('a refused event has no effects at all: the command does not run', () => {
    const r = reduce(rb, freshState(), { type: 'step.start', scope: 'a', stepId: 'c' }, ctx());
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/do "Manual" first/) });
    expect('effects' in r).toBe(false);
  });

  it('signing a phase off directly asks for its signature', () => {
    let s = step(freshState(), { type: 'step.confirm', scope: 'a', stepId: 'm' }).state;
    s = finish(step(s, { type: 'step.start', scope: 'a', stepId: 'c' }).state, 'c');
    const k = step(s, { type: 'step.start', scope: 'a', stepId: 'k' }).state;
    s = step(k, { type: 'step.finished', scope: 'a', stepId: 'k', ok: true, check: passed('ok'), durationMs: 1 }).state;
    s = finish(step(s, { type: 'step.start', scope: 'a', stepId: 'e' }).state, 'e');
    expect(step(s, { type: 'phase.signoff', phaseId: 'a' }).effects).toEqual([{ type: 'sign-phase', phaseId: 'a' }]);
  });
});

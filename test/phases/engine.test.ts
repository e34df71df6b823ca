import { describe, it, expect } from 'vitest';
import { loadRunbookText } from '../../src/load/loader.js';
import { reduce, type EngineEvent } from '../../src/phases/engine.js';
import { signoffBlocker, waitNotBefore, reasonProblem } from '../../src/phases/rules.js';
import { formatRemaining } from '../../src/phases/wait-words.js';
import type { RunState } from '../../src/state/run-state.js';
import { T0, freshState, passed } from '../helpers/engine.js';
import type { CheckResult } from '../../src/checks/types.js';

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
      - { id: so, kind: signoff, title: Sign }
  - id: b
    title: B
    steps:
      - { id: w, kind: wait, title: Wait a day, after: 'step:a/c', duration: 24h }
      - { id: d, kind: command, title: Danger, run: [echo, x], destructive: true, confirm_word: YES-DO-IT }
      - { id: p, kind: command, title: PNR, run: [echo, y], point_of_no_return: JSON stops receiving writes }
  - id: c
    title: C independent
    independent: true
    steps:
      - { id: m, kind: manual, title: M }
`,
  '/tmp/engine-test.yaml',
  { env: {} },
).runbook;

const ctx = (now = T0) => ({ now, operator: 'alice' });
const fresh = freshState;

function apply(events: Array<EngineEvent | [EngineEvent, Date]>, start = fresh()): RunState {
  let s = start;
  for (const e of events) {
    const [ev, now] = Array.isArray(e) ? e : [e, T0];
    const r = reduce(rb, s, ev, ctx(now));
    if (!r.ok) throw new Error(r.error);
    s = r.state;
  }
  return s;
}

const pass = passed;
const fail = (id: string, at = T0): CheckResult => ({ ...pass(id, at), status: 'fail', summary: 'bad' });

const phaseADone: Array<EngineEvent> = [
  { type: 'step.confirm', scope: 'a', stepId: 'm' },
  { type: 'step.start', scope: 'a', stepId: 'c' },
  { type: 'step.finished', scope: 'a', stepId: 'c', ok: true, exitCode: 0 },
  { type: 'step.start', scope: 'a', stepId: 'k' },
  { type: 'step.finished', scope: 'a', stepId: 'k', ok: true, check: pass('ok') },
];

describe('engine transitions', () => {
  const table: Array<{
    name: string;
    before: EngineEvent[];
    event: EngineEvent;
    ok: boolean;
    expect?: (s: RunState) => void;
    error?: RegExp;
  }> = [
    {
      name: 'manual step confirmed → passed, phase active',
      before: [],
      event: { type: 'step.confirm', scope: 'a', stepId: 'm' },
      ok: true,
      expect: (s) => {
        expect(s.steps['a/m'].status).toBe('passed');
        expect(s.phases.a.status).toBe('active');
        expect(s.steps['a/m'].operator).toBe('alice');
      },
    },
    {
      name: 'command start → running with an effect',
      before: [{ type: 'step.confirm', scope: 'a', stepId: 'm' }],
      event: { type: 'step.start', scope: 'a', stepId: 'c' },
      ok: true,
      expect: (s) => expect(s.steps['a/c'].status).toBe('running'),
    },
    {
      name: 'steps run in order',
      before: [],
      event: { type: 'step.start', scope: 'a', stepId: 'c' },
      ok: false,
      error: /do "Manual" first/,
    },
    {
      name: 'a later phase waits for sign-off',
      before: [],
      event: { type: 'step.start', scope: 'b', stepId: 'w' },
      ok: false,
      error: /"A" must be signed off first/,
    },
    {
      name: 'an independent phase can start any time',
      before: [],
      event: { type: 'step.confirm', scope: 'c', stepId: 'm' },
      ok: true,
    },
    {
      name: 'failed command → failed',
      before: [
        { type: 'step.confirm', scope: 'a', stepId: 'm' },
        { type: 'step.start', scope: 'a', stepId: 'c' },
      ],
      event: { type: 'step.finished', scope: 'a', stepId: 'c', ok: false, exitCode: 3 },
      ok: true,
      expect: (s) => expect(s.steps['a/c']).toMatchObject({ status: 'failed', exitCode: 3 }),
    },
    {
      name: 'skip needs a real reason',
      before: [],
      event: { type: 'step.skip', scope: 'a', stepId: 'm', reason: 'ok' },
      ok: false,
      error: /at least three words/,
    },
    {
      name: 'skip with a reason → skipped',
      before: [],
      event: { type: 'step.skip', scope: 'a', stepId: 'm', reason: 'done by hand in the console earlier' },
      ok: true,
      expect: (s) =>
        expect(s.steps['a/m']).toMatchObject({ status: 'skipped', reason: 'done by hand in the console earlier' }),
    },
    {
      name: 'mark done with a reason → overridden',
      before: [],
      event: { type: 'step.mark-done', scope: 'a', stepId: 'm', reason: 'verified manually by the DBA' },
      ok: true,
      expect: (s) => expect(s.steps['a/m'].status).toBe('overridden'),
    },
    {
      name: 'sign-off refused while steps are open',
      before: [],
      event: { type: 'phase.signoff', phaseId: 'a' },
      ok: false,
      error: /3 steps are not done: "Manual", "Cmd" and 1 more/,
    },
    {
      name: 'sign-off when all passed',
      before: phaseADone,
      event: { type: 'phase.signoff', phaseId: 'a' },
      ok: true,
      expect: (s) => {
        expect(s.phases.a).toMatchObject({ status: 'signed-off', signedOffBy: 'alice' });
        expect(s.steps['a/so'].status).toBe('passed');
      },
    },
    {
      name: 'sign-off refused when the gate check failed',
      before: [
        ...phaseADone.slice(0, 4),
        { type: 'step.finished', scope: 'a', stepId: 'k', ok: false, check: fail('ok') },
        { type: 'step.mark-done', scope: 'a', stepId: 'k', reason: 'will override the gate below' },
      ],
      event: { type: 'phase.signoff', phaseId: 'a' },
      ok: false,
      error: /gate checks not passed: ok \(fail\)/,
    },
    {
      name: 'gate override needs a reason',
      before: [],
      event: { type: 'gate.override', phaseId: 'a', checkId: 'ok', reason: '' },
      ok: false,
      error: /reason/,
    },
    {
      name: 'gate override of an unknown gate check',
      before: [],
      event: { type: 'gate.override', phaseId: 'a', checkId: 'nope', reason: 'a reason with words' },
      ok: false,
      error: /not a gate check/,
    },
    {
      name: 'overridden gate allows sign-off',
      before: [
        ...phaseADone.slice(0, 4),
        { type: 'step.finished', scope: 'a', stepId: 'k', ok: false, check: fail('ok') },
        { type: 'step.mark-done', scope: 'a', stepId: 'k', reason: 'file is on another host today' },
        { type: 'gate.override', phaseId: 'a', checkId: 'ok', reason: 'file is on another host today' },
      ],
      event: { type: 'phase.signoff', phaseId: 'a' },
      ok: true,
    },
    {
      name: 'destructive step needs the word',
      before: [
        ...phaseADone,
        { type: 'phase.signoff', phaseId: 'a' },
        { type: 'wait.override', scope: 'b', stepId: 'w', reason: 'passing the wait early in this test' },
      ],
      event: { type: 'step.start', scope: 'b', stepId: 'd', confirmWord: 'yes' },
      ok: false,
      error: /type YES-DO-IT/,
    },
    {
      name: 'destructive step with the word runs',
      before: [
        ...phaseADone,
        { type: 'phase.signoff', phaseId: 'a' },
        { type: 'wait.override', scope: 'b', stepId: 'w', reason: 'passing the wait early in this test' },
      ],
      event: { type: 'step.start', scope: 'b', stepId: 'd', confirmWord: 'YES-DO-IT' },
      ok: true,
    },
    {
      name: 'point of no return needs confirmation',
      before: [
        ...phaseADone,
        { type: 'phase.signoff', phaseId: 'a' },
        { type: 'wait.override', scope: 'b', stepId: 'w', reason: 'passing the wait early in this test' },
        { type: 'step.skip', scope: 'b', stepId: 'd', reason: 'skipping the danger in this test' },
      ],
      event: { type: 'step.start', scope: 'b', stepId: 'p' },
      ok: false,
      error: /point of no return: JSON stops receiving writes/,
    },
    {
      name: 'recover marks running steps interrupted',
      before: [
        { type: 'step.confirm', scope: 'a', stepId: 'm' },
        { type: 'step.start', scope: 'a', stepId: 'c' },
      ],
      event: { type: 'recover' },
      ok: true,
      expect: (s) => expect(s.steps['a/c'].status).toBe('interrupted'),
    },
    {
      name: 'an interrupted step can be re-run',
      before: [
        { type: 'step.confirm', scope: 'a', stepId: 'm' },
        { type: 'step.start', scope: 'a', stepId: 'c' },
        { type: 'recover' },
      ],
      event: { type: 'step.start', scope: 'a', stepId: 'c' },
      ok: true,
      expect: (s) => expect(s.steps['a/c']).toMatchObject({ status: 'running', attempts: 2 }),
    },
    {
      name: 'a running step cannot be skipped',
      before: [
        { type: 'step.confirm', scope: 'a', stepId: 'm' },
        { type: 'step.start', scope: 'a', stepId: 'c' },
      ],
      event: { type: 'step.skip', scope: 'a', stepId: 'c', reason: 'changed my mind about this' },
      ok: false,
      error: /is running/,
    },
  ];
  it.each(table)('$name', ({ before, event, ok, expect: check, error }) => {
    const s = apply(before);
    const r = reduce(rb, s, event, ctx());
    expect(r.ok).toBe(ok);
    if (r.ok && check) check(r.state);
    if (!r.ok && error) expect(r.error).toMatch(error);
    if (r.ok) expect(r.state.seq).toBeGreaterThanOrEqual(s.seq);
  });

  it('does not mutate the state it is given', () => {
    const s = apply([]);
    const copy = JSON.stringify(s);
    reduce(rb, s, { type: 'step.confirm', scope: 'a', stepId: 'm' }, ctx());
    expect(JSON.stringify(s)).toBe(copy);
  });

  it('a gate result from before the phase started does not count', () => {
    const old = new Date(T0.getTime() - 3600_000);
    const s = apply([
      { type: 'check.result', result: pass('ok', old) },
      ...phaseADone.slice(0, 3),
      { type: 'step.mark-done', scope: 'a', stepId: 'k', reason: 'pretend the step is done' },
    ]);
    // step k never produced a fresh result, and the old one predates the phase
    expect(signoffBlocker(rb, s, 'a')).toMatch(/ok \(not run\)/);
  });
});

describe('wait gates', () => {
  it('compute not-before from the recorded event and say how long is left', () => {
    const s = apply([...phaseADone, { type: 'phase.signoff', phaseId: 'a' }]);
    const wait = rb.phases[1].steps[0];
    const nb = waitNotBefore(rb, s, wait)!;
    expect(nb.toISOString()).toBe('2026-01-02T00:00:00.000Z');
    const early = new Date(T0.getTime() + 2 * 3600_000 + 46 * 60_000);
    const r = reduce(rb, s, { type: 'step.start', scope: 'b', stepId: 'w' }, ctx(early));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/available in 21 h 14 m/);
    const late = reduce(
      rb,
      s,
      { type: 'step.start', scope: 'b', stepId: 'w' },
      ctx(new Date(T0.getTime() + 24 * 3600_000)),
    );
    expect(late.ok && late.state.steps['b/w'].status).toBe('passed');
  });
  it('formats remaining time', () => {
    expect(formatRemaining(3 * 86_400_000 + 3600_000)).toBe('3 d 1 h');
    expect(formatRemaining(86_400_000)).toBe('24 h 0 m');
    expect(formatRemaining(90_000)).toBe('2 m');
    expect(formatRemaining(0)).toBe('now');
  });
});

describe('reasons', () => {
  it.each([
    ['', true],
    ['ok', true],
    ['because', true],
    ['x y z', true],
    ['backup verified by hand on the DBA console', false],
  ])('%j refused: %s', (r, refused) => {
    expect(!!reasonProblem(r)).toBe(refused);
  });
});

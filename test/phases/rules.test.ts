// The rules layer: one answer for the engine, the TUI, the plain mode and the commands.
import { describe, it, expect } from 'vitest';
import { loadRunbookText } from '../../src/load/loader.js';
import { reduce, type EngineEvent } from '../../src/phases/engine.js';
import { can, confirmWord, rollbacksInProgress, type RuleAction } from '../../src/phases/rules.js';
import { signoffHistoryLine } from '../../src/phases/wording.js';
import { waitView } from '../../src/phases/wait-words.js';
import { tuiRefusal } from '../../src/screens/refusal-words.js';
import { STATE_SCHEMA, migrateState, type RunState } from '../../src/state/run-state.js';
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
      - { id: so, kind: signoff, title: Sign }
  - id: b
    title: B
    steps:
      - { id: w, kind: wait, title: Wait a day, after: 'step:a/c', duration: 24h }
      - { id: fixed, kind: wait, title: Never early, after: 'step:a/c', duration: 24h, overridable: false }
      - { id: p, kind: edit-env, title: Point of no return, file: .env, set: { X: '1' }, point_of_no_return: JSON stops receiving writes }
      - { id: d, kind: command, title: Danger, run: [echo, x], destructive: true, confirm_word: YES-DO-IT }
      - { id: so, kind: signoff, title: Sign B }
rollback:
  - id: undo
    title: Undo
    destructive: true
    confirm_word: UNDO
    steps:
      - { id: drop, kind: command, title: Drop, destructive: true, run: [echo, dropped] }
      - { id: after, kind: command, title: After, run: [echo, after] }
`,
  '/tmp/rules-test.yaml',
  { env: {} },
).runbook;

const at = (h: number) => new Date(T0.getTime() + h * 3600_000);
const ctx = (now = T0, operator = 'alice') => ({ now, operator });
const fresh = freshState;
const pass = passed;

function apply(events: Array<[EngineEvent, Date?, string?]>, start = fresh()): RunState {
  let s = start;
  for (const [e, now, who] of events) {
    const r = reduce(rb, s, e, ctx(now ?? T0, who));
    if (!r.ok) throw new Error(`${e.type}: ${r.error}`);
    s = r.state;
  }
  return s;
}

const aDone: Array<[EngineEvent, Date?, string?]> = [
  [{ type: 'step.confirm', scope: 'a', stepId: 'm' }],
  [{ type: 'step.start', scope: 'a', stepId: 'c' }],
  [{ type: 'step.finished', scope: 'a', stepId: 'c', ok: true, exitCode: 0 }],
  [{ type: 'step.start', scope: 'a', stepId: 'k' }],
  [{ type: 'step.finished', scope: 'a', stepId: 'k', ok: true, check: pass('ok') }],
];
const aSigned = [...aDone, [{ type: 'phase.signoff', phaseId: 'a' }] as [EngineEvent]];

describe('a signed-off phase is closed', () => {
  const s = apply(aSigned);
  const refusals: Array<[string, EngineEvent]> = [
    ['skip', { type: 'step.skip', scope: 'a', stepId: 'm', reason: 'changing the record after the fact' }],
    ['mark done', { type: 'step.mark-done', scope: 'a', stepId: 'c', reason: 'changing the record after the fact' }],
    ['re-run', { type: 'step.start', scope: 'a', stepId: 'c' }],
    ['re-confirm', { type: 'step.confirm', scope: 'a', stepId: 'm' }],
    ['override', { type: 'gate.override', phaseId: 'a', checkId: 'ok', reason: 'changing the record after the fact' }],
  ];
  it.each(refusals)('%s is refused with a sentence that says how to change it', (_, event) => {
    const r = reduce(rb, s, event, ctx(at(1)));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(
      /"A" is signed off \(by alice at 2026-01-01T00:00:00.000Z\); it is closed — reopen it/,
    );
  });

  it('reopening needs a reason, voids the sign-off (kept in the record), and the phase needs a new sign-off', () => {
    expect(reduce(rb, s, { type: 'phase.reopen', phaseId: 'a', reason: 'oops' }, ctx(at(1))).ok).toBe(false);
    const r = apply(
      [[{ type: 'phase.reopen', phaseId: 'a', reason: 'the marker was written to the wrong host' }, at(1), 'bob']],
      s,
    );
    expect(r.phases.a).toMatchObject({ status: 'active', signedOffAt: undefined, reopenedAt: at(1).toISOString() });
    expect(r.steps['a/so'].status).toBe('pending');
    // the gate must pass again after the reopening: evidence from before it does not count
    expect(reduce(rb, r, { type: 'phase.signoff', phaseId: 'a' }, ctx(at(2))).ok).toBe(false);
    const again = apply(
      [
        [{ type: 'check.result', result: pass('ok', at(2)) }, at(2)],
        [{ type: 'phase.signoff', phaseId: 'a' }, at(3), 'carol'],
      ],
      r,
    );
    expect(signoffHistoryLine(again.phases.a)).toBe(
      'signed off by alice at 2026-01-01T00:00:00.000Z · reopened by bob at 2026-01-01T01:00:00.000Z: the marker was written to the wrong host · signed off again by carol at 2026-01-01T03:00:00.000Z',
    );
  });

  it('a phase cannot be reopened while a later phase is signed off on top of it', () => {
    const later = apply(
      [
        [{ type: 'step.start', scope: 'b', stepId: 'w' }, at(25)],
        [{ type: 'step.start', scope: 'b', stepId: 'fixed' }, at(25)],
        [{ type: 'step.start', scope: 'b', stepId: 'p', pnrConfirmed: true }, at(25)],
        [{ type: 'step.finished', scope: 'b', stepId: 'p', ok: true }, at(25)],
        [{ type: 'step.start', scope: 'b', stepId: 'd', confirmWord: 'YES-DO-IT' }, at(25)],
        [{ type: 'step.finished', scope: 'b', stepId: 'd', ok: true }, at(25)],
        [{ type: 'phase.signoff', phaseId: 'b' }, at(26)],
      ],
      s,
    );
    const r = reduce(
      rb,
      later,
      { type: 'phase.reopen', phaseId: 'a', reason: 'the marker was written to the wrong host' },
      ctx(at(27)),
    );
    expect(!r.ok && r.error).toMatch(/"B" is signed off after it: reopen that first/);
  });
});

describe('waits and points of no return', () => {
  const s = apply(aSigned);
  it('a wait is not skipped or marked done: passing it early is an override with a reason', () => {
    for (const type of ['step.skip', 'step.mark-done'] as const) {
      const r = reduce(rb, s, { type, scope: 'b', stepId: 'w', reason: 'we are in a hurry tonight' }, ctx(at(1)));
      // the rules refuse with facts; the plain mode words them without a key, the TUI with its o
      expect(!r.ok && r.error).toMatch(/a wait is not skipped: "Wait a day" is passed early as an override/);
      expect(!r.ok && r.refusal && tuiRefusal(rb, r.refusal)).toMatch(
        /a wait is not skipped: o passes "Wait a day" early as an override/,
      );
    }
    expect(reduce(rb, s, { type: 'wait.override', scope: 'b', stepId: 'w', reason: 'short' }, ctx(at(1))).ok).toBe(
      false,
    );
    const r = apply(
      [[{ type: 'wait.override', scope: 'b', stepId: 'w', reason: 'the lead accepted a shorter soak' }, at(1)]],
      s,
    );
    expect(r.steps['b/w']).toMatchObject({
      status: 'overridden',
      reason: 'the lead accepted a shorter soak',
      message: expect.stringMatching(/passed early, before 2026-01-02T00:00:00.000Z/),
    });
    expect(r.steps['b/w'].history!.at(-1)!.early).toEqual({ notBefore: '2026-01-02T00:00:00.000Z' });
  });
  it('a wait marked overridable: false is never passed early', () => {
    const next = apply(
      [[{ type: 'wait.override', scope: 'b', stepId: 'w', reason: 'the lead accepted a shorter soak' }, at(1)]],
      s,
    );
    for (const type of ['step.skip', 'wait.override'] as const) {
      const r = reduce(
        rb,
        next,
        { type, scope: 'b', stepId: 'fixed', reason: 'the lead accepted a shorter soak' },
        ctx(at(1)),
      );
      expect(!r.ok && r.error).toMatch(
        /"Never early" cannot be (skipped or )?passed early \(the runbook forbids it\): available in 23 h 0 m/,
      );
    }
  });
  it('the point-of-no-return word is asked only once every precondition holds', () => {
    const early = can(rb, s, { type: 'start', scope: 'b', stepId: 'p' }, at(1));
    expect(early).toMatchObject({ ok: false, why: 'do "Wait a day" first (steps run in order)' });
    const due = apply(
      [
        [{ type: 'step.start', scope: 'b', stepId: 'w' }, at(25)],
        [{ type: 'step.start', scope: 'b', stepId: 'fixed' }, at(25)],
      ],
      s,
    );
    expect(can(rb, due, { type: 'start', scope: 'b', stepId: 'p' }, at(25))).toEqual({
      ok: true,
      needs: [{ kind: 'pnr', text: 'JSON stops receiving writes', word: 'p' }],
    });
  });
  it('one wording of a wait', () => {
    const w = rb.phases[1].steps[0];
    expect(waitView(rb, fresh(), w, T0).short).toBe('starts counting when "Cmd" is done');
    expect(waitView(rb, s, w, at(2)).long).toBe('available in 22 h 0 m (not before 2026-01-02T00:00:00.000Z)');
    expect(waitView(rb, s, w, at(24)).short).toBe('available now');
  });
});

describe('destructive procedures', () => {
  // a rollback has something to undo once a phase has begun
  const begun = () => apply([[{ type: 'step.confirm', scope: 'a', stepId: 'm' }]]);
  it("a destructive step without a word of its own asks for its procedure's word, and the engine takes that word", () => {
    const s = begun();
    const drop = rb.rollback[0].steps[0];
    expect(confirmWord(rb, s, 'rollback:undo', drop)).toBe('UNDO');
    expect(
      reduce(rb, s, { type: 'step.start', scope: 'rollback:undo', stepId: 'drop', confirmWord: 'CONFIRM' }, ctx()).ok,
    ).toBe(false);
    const r = reduce(rb, s, { type: 'step.start', scope: 'rollback:undo', stepId: 'drop', confirmWord: 'UNDO' }, ctx());
    expect(r.ok).toBe(true);
  });
  it('a destructive procedure asks once, when it is entered', () => {
    const s = begun();
    const after = rb.rollback[0].steps[1];
    expect(confirmWord(rb, s, 'rollback:undo', after)).toBe('UNDO');
    expect(reduce(rb, s, { type: 'step.start', scope: 'rollback:undo', stepId: 'after' }, ctx()).ok).toBe(false);
    const entered = apply(
      [
        [{ type: 'step.start', scope: 'rollback:undo', stepId: 'drop', confirmWord: 'UNDO' }],
        [{ type: 'step.finished', scope: 'rollback:undo', stepId: 'drop', ok: true }],
      ],
      s,
    );
    expect(confirmWord(rb, entered, 'rollback:undo', after)).toBeUndefined();
  });
});

describe('rollback is deliberate and visible', () => {
  const rb2 = loadRunbookText(
    `id: r
title: R
version: 1
phases:
  - id: a
    title: A
    rollback: back
    steps:
      - { id: m, kind: manual, title: Manual }
rollback:
  - id: back
    title: Go back
    steps:
      - { id: one, kind: command, title: One, run: [echo, one] }
      - { id: two, kind: command, title: Two, run: [echo, two] }
`,
    '/tmp/rules-rollback.yaml',
    { env: {} },
  ).runbook;
  const go = (events: EngineEvent[], s = fresh()) =>
    events.reduce((st, e) => {
      const r = reduce(rb2, st, e, ctx());
      if (!r.ok) throw new Error(r.error);
      return r.state;
    }, s);
  it('a procedure with nothing to undo says so and does not start', () => {
    const v = can(rb2, fresh(), { type: 'start', scope: 'rollback:back', stepId: 'one' }, T0);
    expect(v).toMatchObject({
      ok: false,
      why: 'nothing in this run needs "Go back" yet: no phase it undoes has begun, so there is nothing to roll back',
    });
  });
  it('any procedure, destructive or not, starts only when its name is typed, and says what it will change', () => {
    const s = go([{ type: 'step.confirm', scope: 'a', stepId: 'm' }]);
    expect(can(rb2, s, { type: 'start', scope: 'rollback:back', stepId: 'one' }, T0)).toEqual({
      ok: true,
      needs: [
        {
          kind: 'confirm-word',
          word: 'back',
          prompt: 'Start the rollback "Go back": it undoes A. Its steps: 1. One; 2. Two.',
          rollback: true,
        },
      ],
    });
    expect(reduce(rb2, s, { type: 'step.start', scope: 'rollback:back', stepId: 'one' }, ctx()).ok).toBe(false);
  });
  it('a begun rollback is in progress until it is finished or abandoned with a reason; abandoned, it asks again', () => {
    const s = go([
      { type: 'step.confirm', scope: 'a', stepId: 'm' },
      { type: 'step.start', scope: 'rollback:back', stepId: 'one', confirmWord: 'back' },
      { type: 'step.finished', scope: 'rollback:back', stepId: 'one', ok: true },
    ]);
    expect(rollbacksInProgress(rb2, s)).toEqual([
      { id: 'back', title: 'Go back', done: 1, total: 2, inProgress: true },
    ]);
    expect(can(rb2, s, { type: 'start', scope: 'rollback:back', stepId: 'two' }, T0)).toEqual({ ok: true, needs: [] });
    expect(reduce(rb2, s, { type: 'rollback.abandon', procedureId: 'back', reason: 'no' }, ctx()).ok).toBe(false);
    const gave = go([{ type: 'rollback.abandon', procedureId: 'back', reason: 'the app recovered on its own' }], s);
    expect(rollbacksInProgress(rb2, gave)).toEqual([]);
    expect(gave.abandoned?.back).toEqual([
      { by: 'alice', at: T0.toISOString(), reason: 'the app recovered on its own', stepsDone: 1 },
    ]);
    const v = can(rb2, gave, { type: 'start', scope: 'rollback:back', stepId: 'two' }, T0);
    expect(v.ok && v.needs[0]).toMatchObject({ kind: 'confirm-word', word: 'back' });
    const done = go(
      [
        { type: 'step.start', scope: 'rollback:back', stepId: 'two' },
        { type: 'step.finished', scope: 'rollback:back', stepId: 'two', ok: true },
      ],
      s,
    );
    expect(rollbacksInProgress(rb2, done)).toEqual([]);
  });
});

describe('engine and rules agree', () => {
  // every action × step kind × phase status: the rules' answer is the engine's answer
  const states: Record<string, RunState> = {
    pending: fresh(),
    active: apply(aDone.slice(0, 3)),
    'signed-off': apply(aSigned),
    reopened: apply([
      ...aSigned,
      [{ type: 'phase.reopen', phaseId: 'a', reason: 'reopened for the rules table' }, at(1)],
    ]),
    'b due': apply([...aSigned], fresh()),
  };
  const now = at(30);
  const eventFor = (a: RuleAction, needs: ReturnType<typeof can>): EngineEvent => {
    const given = needs.ok ? needs.needs : [];
    const reason = 'a reason with enough words';
    const word = given.find((n) => n.kind === 'confirm-word');
    const confirm = {
      pnrConfirmed: true,
      confirmWord: word?.kind === 'confirm-word' ? word.word : undefined,
      rerun: given.some((n) => n.kind === 'rerun') || undefined,
    };
    switch (a.type) {
      case 'start':
        return { type: 'step.start', scope: a.scope, stepId: a.stepId, ...confirm };
      case 'skip':
        return { type: 'step.skip', scope: a.scope, stepId: a.stepId, reason };
      case 'mark-done':
        return { type: 'step.mark-done', scope: a.scope, stepId: a.stepId, reason };
      case 'confirm-stopped':
        return { type: 'step.confirm-stopped', scope: a.scope, stepId: a.stepId, reason };
      case 'pass-wait-early':
        return { type: 'wait.override', scope: a.scope, stepId: a.stepId, reason };
      case 'override-gate':
        return { type: 'gate.override', phaseId: a.phaseId, checkId: a.checkId, reason };
      case 'signoff':
        return { type: 'phase.signoff', phaseId: a.phaseId };
      case 'reopen':
        return { type: 'phase.reopen', phaseId: a.phaseId, reason };
      case 'approve':
        return {
          type: 'phase.approve',
          phaseId: a.phaseId,
          approval: {
            by: a.by,
            host: 'h',
            at: now.toISOString(),
            keyFingerprint: a.keyFingerprint,
            armored: '',
            message: '',
          },
        };
      case 'abandon-rollback':
        return { type: 'rollback.abandon', procedureId: a.procedureId, reason };
    }
  };
  const cases: Array<[string, string, RuleAction]> = [];
  for (const name of Object.keys(states))
    for (const p of rb.phases) {
      for (const st of p.steps)
        for (const type of ['start', 'skip', 'mark-done', 'pass-wait-early'] as const)
          cases.push([name, `${type} ${p.id}/${st.id} (${st.kind})`, { type, scope: p.id, stepId: st.id }]);
      cases.push(
        [name, `signoff ${p.id}`, { type: 'signoff', phaseId: p.id }],
        [name, `reopen ${p.id}`, { type: 'reopen', phaseId: p.id }],
        [name, `approve ${p.id}`, { type: 'approve', phaseId: p.id, by: 'bob', keyFingerprint: 'SHA256:bob' }],
      );
      for (const checkId of p.gate)
        cases.push([name, `override ${p.id}/${checkId}`, { type: 'override-gate', phaseId: p.id, checkId }]);
    }
  it.each(cases)('%s: %s', (name, _, action) => {
    const s = states[name];
    const v = can(rb, s, action, now);
    const r = reduce(rb, s, eventFor(action, v), ctx(now));
    expect(r.ok).toBe(v.ok);
    if (!v.ok && !r.ok) expect(r.error).toBe(v.why);
  });
});

describe('state of schema 1', () => {
  it('is brought forward: last outcomes and sign-offs become the first entries of the histories', () => {
    const old = {
      ...fresh(),
      schema: 1,
      steps: { 'a/m': { status: 'passed', operator: 'alice', finishedAt: T0.toISOString() } },
      phases: { a: { status: 'signed-off', signedOffBy: 'alice', signedOffAt: T0.toISOString(), overrides: [] } },
    } as unknown as RunState;
    const s = migrateState(old);
    expect(s.schema).toBe(STATE_SCHEMA);
    expect(s.steps['a/m'].history).toEqual([expect.objectContaining({ status: 'passed', operator: 'alice' })]);
    expect(signoffHistoryLine(s.phases.a)).toBe('signed off by alice at 2026-01-01T00:00:00.000Z');
    expect(() => migrateState({ ...old, schema: 9 })).toThrow(/schema 9; this Waymark reads schemas 1 and 2/);
  });
});

// The rules of a run, written once. For a runbook, a state and an action, `can`
// answers whether the action is allowed (and if not, the one sentence why) and what
// it needs first: a reason, the point-of-no-return word, a destructive step's word,
// a sign-off statement. The engine refuses through it; the TUI, the plain mode,
// `plan` and `status` ask it and never work a rule out again (xstate's `can()`).
import type { InputDef, Runbook, Step, Phase } from '../runbook/schema.js';
import { inputsOf, resolveStepRef, stepRefs } from '../runbook/values.js';
import type { CheckResult } from '../checks/types.js';
import { DONE, approvalsInForce, type RunState, type PhaseState } from '../state/run-state.js';
import { findPhase, findStep, parseScope, phaseState, scopeSteps, stepState, waitFacts } from './lookups.js';
import { waitWords } from './wait-words.js';
import { refusalText, type Refusal, type SignoffBlock } from './wording.js';

export * from './lookups.js';
export type { Refusal, RefusalCode, SignoffBlock } from './wording.js';

export type RuleAction =
  /** run a command or check, confirm a manual step, pass a wait that is due, sign off through its step */
  | { type: 'start'; scope: string; stepId: string }
  | { type: 'skip'; scope: string; stepId: string }
  | { type: 'mark-done'; scope: string; stepId: string }
  /** say, with a reason, that a step left running on another host has stopped there */
  | { type: 'confirm-stopped'; scope: string; stepId: string }
  /** pass a wait before it is due: a gate override with a reason */
  | { type: 'pass-wait-early'; scope: string; stepId: string }
  | { type: 'override-gate'; phaseId: string; checkId: string }
  | { type: 'signoff'; phaseId: string }
  | { type: 'reopen'; phaseId: string }
  /** approve a sign-off: by another person, with their own key */
  | { type: 'approve'; phaseId: string; by: string; keyFingerprint: string }
  /** give up a rollback procedure that was begun, with a reason */
  | { type: 'abandon-rollback'; procedureId: string };

export type Need =
  | { kind: 'rerun'; text: string }
  | { kind: 'reason'; label: string }
  | { kind: 'statement'; text: string }
  | { kind: 'pnr'; text: string; word: string }
  | { kind: 'confirm-word'; word: string; prompt: string; rollback?: boolean }
  /** an input the step needs that the run has not been given: asked, recorded, then the step starts */
  | { kind: 'input'; name: string; def: InputDef; asked: boolean };

/** What `can` answers: allowed, with what it needs first; or refused, why as facts and in plain words (wording.ts). */
export type Verdict = { ok: true; needs: Need[] } | { ok: false; refusal: Refusal; why: string };

/** A refusal: its facts, and the plain words for them (wording.ts), which name no key. */
function no(rb: Runbook, refusal: Refusal): { ok: false; refusal: Refusal; why: string } {
  return { ok: false, refusal, why: refusalText(rb, refusal) };
}
const yes = (...needs: Need[]): Verdict => ({ ok: true, needs });

/** A reason has to be a real sentence: a few words, not "ok" or "x". */
export function reasonProblem(reason: string | undefined): string | undefined {
  const r = (reason ?? '').trim();
  if (r.length < 12 || r.split(/\s+/).length < 3)
    return 'give a reason of at least three words (12+ characters) that a colleague would understand';
  return undefined;
}

// ---- phases ----

/** Why a phase cannot start yet, or undefined when it can. */
export function phaseBlocker(rb: Runbook, state: RunState, phaseId: string): string | undefined {
  const i = rb.phases.findIndex((p) => p.id === phaseId);
  if (i < 0) return `unknown phase "${phaseId}"`;
  const phase = rb.phases[i];
  if (phase.independent || i === 0) return undefined;
  const prev = rb.phases[i - 1];
  if (phaseState(state, prev.id).status !== 'signed-off') return `"${prev.title}" must be signed off first`;
  const missing = approvalsMissing(rb, state, prev.id);
  if (missing)
    return (
      `"${prev.title}" awaits ${missing} more approval${missing > 1 ? 's' : ''} of its sign-off ` +
      `(another operator: waymark approve --phase ${prev.id})`
    );
  return undefined;
}

/** "awaiting 1 more approval (waymark approve --phase ID)", or undefined when none is missing. */
export function approvalsLine(rb: Runbook, state: RunState, phaseId: string): string | undefined {
  const n = approvalsMissing(rb, state, phaseId);
  return n
    ? `awaiting ${n} more approval${n > 1 ? 's' : ''} (another operator: waymark approve --phase ${phaseId})`
    : undefined;
}

/** Approvals a signed-off phase still needs before the next one may start (0 when none). */
export function approvalsMissing(rb: Runbook, state: RunState, phaseId: string): number {
  const phase = findPhase(rb, phaseId);
  const ps = phaseState(state, phaseId);
  if (!phase || ps.status !== 'signed-off') return 0;
  return Math.max(0, (phase.approvals ?? 1) - 1 - approvalsInForce(ps).length);
}

/** Signed off and approved as the runbook asks: the phase is behind the run. */
export function phaseComplete(rb: Runbook, state: RunState, phaseId: string): boolean {
  return phaseState(state, phaseId).status === 'signed-off' && approvalsMissing(rb, state, phaseId) === 0;
}

export type GateRow = {
  checkId: string;
  status: 'passed' | 'overridden' | 'failed' | 'not-run';
  result?: CheckResult;
  override?: { operator: string; reason: string; at?: string };
};

/** When the phase's current evidence starts: its start, or its latest reopening. */
export function evidenceSince(ps: PhaseState): string | undefined {
  return ps.reopenedAt ?? ps.startedAt;
}

/** Gate status per check: passed in this phase (since it was last opened), overridden, or open. */
export function gateStatus(rb: Runbook, state: RunState, phaseId: string): GateRow[] {
  const phase = findPhase(rb, phaseId);
  if (!phase) return [];
  const ps = phaseState(state, phaseId);
  const since = evidenceSince(ps);
  return phase.gate.map((checkId) => {
    const override = ps.overrides.find((o) => o.checkId === checkId);
    const result = state.checks[checkId];
    const fresh = result && since && result.startedAt >= since ? result : undefined;
    if (fresh && (fresh.status === 'pass' || fresh.status === 'warn'))
      return { checkId, status: 'passed', result: fresh };
    if (override) return { checkId, status: 'overridden', result: fresh, override };
    return { checkId, status: fresh ? 'failed' : 'not-run', result: fresh };
  });
}

export function openGates(rb: Runbook, state: RunState, phaseId: string): GateRow[] {
  return gateStatus(rb, state, phaseId).filter((g) => g.status === 'failed' || g.status === 'not-run');
}

/** What stands in the way of signing a phase off, or undefined. */
export function signoffBlock(rb: Runbook, state: RunState, phaseId: string): SignoffBlock | undefined {
  const phase = findPhase(rb, phaseId);
  if (!phase) return { kind: 'unknown', why: `unknown phase "${phaseId}"` };
  const ps = phaseState(state, phaseId);
  if (ps.status === 'signed-off') return { kind: 'closed', why: `"${phase.title}" is already signed off` };
  const blocked = phaseBlocker(rb, state, phaseId);
  if (blocked) return { kind: 'blocked', why: blocked };
  const running = phase.steps.filter((s) => stepState(state, phaseId, s.id).status === 'running');
  if (running.length)
    return { kind: 'running', why: `a step is still running: ${running.map((s) => s.id).join(', ')}` };
  const open = phase.steps.filter(
    (s) => s.kind !== 'signoff' && !s.optional && !DONE.has(stepState(state, phaseId, s.id).status),
  );
  if (open.length) {
    // titles, as the operator sees them; a long list says how many more, so the sentence stays whole
    const named = open.slice(0, 2).map((s) => `"${s.title}"`);
    const more = open.length > 2 ? ` and ${open.length - 2} more` : '';
    return {
      kind: 'steps',
      why: `${open.length === 1 ? 'a step is' : `${open.length} steps are`} not done: ${named.join(', ')}${more}`,
    };
  }
  const gate = openGates(rb, state, phaseId);
  if (gate.length) {
    const list = gate.map((g) => `${g.checkId} (${g.status === 'failed' ? g.result?.status : 'not run'})`).join(', ');
    return { kind: 'gate', why: `gate checks not passed: ${list} — re-run them or override with a reason` };
  }
  return undefined;
}

/** Why a phase cannot be signed off, or undefined. */
export function signoffBlocker(rb: Runbook, state: RunState, phaseId: string): string | undefined {
  return signoffBlock(rb, state, phaseId)?.why;
}

/** The phase the operator is in: the first not signed off, or signed off and awaiting approval. */
export function currentPhase(rb: Runbook, state: RunState): Phase | undefined {
  return rb.phases.find((p) => !phaseComplete(rb, state, p.id));
}

/** The next thing to do in a scope: the first step not done, or undefined when all are. */
export function nextStep(rb: Runbook, state: RunState, scope: string): Step | undefined {
  return scopeSteps(rb, scope)?.find((s) => !DONE.has(stepState(state, scope, s.id).status));
}

// ---- what a step asks for ----

/** The point of no return a step stands at: its own, or its phase's on the phase's first step. */
export function pointOfNoReturn(rb: Runbook, scope: string, step: Step): string | undefined {
  const phase = findPhase(rb, scope);
  return step.point_of_no_return ?? (phase && phase.steps[0]?.id === step.id ? phase.point_of_no_return : undefined);
}

/** The phases the run has begun (or acted in): what a rollback would have to undo. */
export function touchedPhases(rb: Runbook, state: RunState): Runbook['phases'] {
  return rb.phases.filter(
    (p) =>
      phaseState(state, p.id).status !== 'pending' ||
      p.steps.some((s) => stepState(state, p.id, s.id).status !== 'pending'),
  );
}

/**
 * Whether a rollback procedure has anything to undo: a phase it undoes began (any phase, for a
 * procedure no phase names).
 */
export function procedureApplies(rb: Runbook, state: RunState, procId: string): boolean {
  const touched = touchedPhases(rb, state);
  const named = rb.phases.some((p) => p.rollback === procId);
  return named ? touched.some((p) => p.rollback === procId) : touched.length > 0;
}

export interface RollbackProgress {
  id: string;
  title: string;
  done: number;
  total: number;
  /** begun and not finished, not abandoned since its last step */
  inProgress: boolean;
}

/** Where a rollback procedure stands: begun, finished, or abandoned after its last step. */
export function rollbackProgress(rb: Runbook, state: RunState, procId: string): RollbackProgress | undefined {
  const proc = rb.rollback.find((r) => r.id === procId);
  if (!proc) return undefined;
  const scope = `rollback:${proc.id}`;
  const sts = proc.steps.map((st) => stepState(state, scope, st.id));
  const done = sts.filter((x) => DONE.has(x.status)).length;
  // its latest activity: an abandonment after it ends the procedure; a step started after it begins it again
  const last = sts.flatMap((x) => [x.startedAt ?? '', x.finishedAt ?? '']).reduce((a, b) => (b > a ? b : a), '');
  const abandoned = state.abandoned?.[proc.id]?.at(-1);
  const begun = sts.some((x) => x.status !== 'pending');
  const inProgress = begun && done < proc.steps.length && !(abandoned && abandoned.at >= last);
  return { id: proc.id, title: proc.title, done, total: proc.steps.length, inProgress };
}

/** Rollback procedures begun and neither finished nor abandoned: shown on every screen until they are. */
export function rollbacksInProgress(rb: Runbook, state: RunState): RollbackProgress[] {
  return rb.rollback.map((r) => rollbackProgress(rb, state, r.id)!).filter((x) => x.inProgress);
}

/** May a step that is done run again: `ask` (a decision each time) or `never`. */
export function rerunPolicy(rb: Runbook, scope: string, step: Step): 'ask' | 'never' {
  return step.rerun ?? (step.destructive || pointOfNoReturn(rb, scope, step) ? 'never' : 'ask');
}

/**
 * The word a destructive step asks for, or undefined when it asks for none. A destructive
 * step asks every time; a destructive rollback procedure asks once, when it is entered.
 */
export function confirmWord(rb: Runbook, state: RunState, scope: string, step: Step): string | undefined {
  const s = parseScope(scope);
  const proc = s.kind === 'rollback' ? rb.rollback.find((r) => r.id === s.id) : undefined;
  const entering = enteringProcedure(rb, state, scope);
  if (!step.destructive && !entering) return undefined;
  return step.confirm_word ?? proc?.confirm_word ?? proc?.id ?? 'CONFIRM';
}

/**
 * The rollback procedure a step of this scope would start (begun and not in progress, or not begun):
 * a procedure is entered by typing its name, destructive or not, never by Enter alone.
 */
function enteringProcedure(rb: Runbook, state: RunState, scope: string): Runbook['rollback'][number] | undefined {
  const s = parseScope(scope);
  const proc = s.kind === 'rollback' ? rb.rollback.find((r) => r.id === s.id) : undefined;
  return proc && !rollbackProgress(rb, state, proc.id)!.inProgress ? proc : undefined;
}

/** What entering a rollback procedure will change, said before its name is typed. */
function enteringPrompt(rb: Runbook, proc: Runbook['rollback'][number]): string {
  const undoes = rb.phases.filter((p) => p.rollback === proc.id).map((p) => p.title);
  return (
    `Start the rollback "${proc.title}"` +
    (undoes.length ? `: it undoes ${undoes.join(', ')}` : '') +
    `. Its steps: ${proc.steps.map((x, i) => `${i + 1}. ${x.title}`).join('; ')}.`
  );
}

const closedPhase = (phase: Phase, ps: PhaseState): Refusal => ({
  code: 'phase-closed',
  title: phase.title,
  by: ps.signedOffBy,
  at: ps.signedOffAt,
});

/** Why nothing may change in this step's scope now (drift, closed or blocked phase, order), or undefined. */
function scopeClosed(rb: Runbook, state: RunState, scope: string, step: Step, inOrder: boolean): Refusal | undefined {
  if (state.drift && !state.drift.acknowledgedAt) return { code: 'drift-unacknowledged' };
  const phase = findPhase(rb, scope);
  if (!phase) return undefined;
  const ps = phaseState(state, scope);
  if (ps.status === 'signed-off') return closedPhase(phase, ps);
  const blocked = phaseBlocker(rb, state, scope);
  if (blocked) return { code: 'phase-blocked', title: step.title, blocker: blocked };
  if (!inOrder) return undefined;
  const steps = phase.steps;
  const before = steps
    .slice(
      0,
      steps.findIndex((s) => s.id === step.id),
    )
    .find((s) => s.kind !== 'signoff' && !s.optional && !DONE.has(stepState(state, scope, s.id).status));
  return before ? { code: 'out-of-order', before: before.title } : undefined;
}

/** A value the step uses that its step has not captured, as a refusal; undefined when all are there. */
function uncaptured(rb: Runbook, state: RunState, scope: string, step: Step): Refusal | undefined {
  for (const ref of stepRefs(rb, step)) {
    if (ref.kind !== 'step') continue;
    const r = resolveStepRef(rb, ref.step, scope);
    if ('why' in r || state.captured?.[r.key]?.[ref.name]) continue;
    return { code: 'value-not-captured', title: step.title, ref: ref.text, from: r.key, fromTitle: r.step.title };
  }
  return undefined;
}

/** The inputs a step needs that the run has not been given, first those it asks for (its decisions). */
function inputNeeds(rb: Runbook, state: RunState, scope: string, step: Step): Need[] {
  const asked = new Set(step.ask ?? []);
  const ended = stepState(state, scope, step.id).finishedAt;
  return inputsOf(rb, step)
    .filter((name) => {
      const given = state.inputs?.[name];
      // a decision is the step's: asked again each time it runs anew (after a failure, or again)
      return rb.inputs[name] && (!given || (asked.has(name) && !!ended && given.at <= ended));
    })
    .map((name) => ({ kind: 'input', name, def: rb.inputs[name], asked: asked.has(name) }));
}

function stepRules(rb: Runbook, state: RunState, action: Extract<RuleAction, { scope: string }>, now: Date): Verdict {
  const step = findStep(rb, action.scope, action.stepId);
  if (!step) return no(rb, { code: 'unknown-step', scope: action.scope, stepId: action.stepId });
  const cur = stepState(state, action.scope, step.id);
  if (cur.status === 'running') return no(rb, { code: 'step-running', title: step.title });
  const there = cur.elsewhere;
  if (action.type === 'confirm-stopped')
    return there
      ? yes({
          kind: 'reason',
          label:
            `"${step.title}" may still be running on ${there.host} (process group ${there.pid}). ` +
            'How do you know it has stopped there?',
        })
      : no(rb, { code: 'not-elsewhere', title: step.title });
  if (there) return no(rb, { code: 'running-elsewhere', title: step.title, host: there.host, pid: there.pid });
  const closed = scopeClosed(rb, state, action.scope, step, action.type !== 'skip' && action.type !== 'mark-done');
  if (closed) return no(rb, closed);
  const wait = step.kind === 'wait' ? waitFacts(rb, state, step, now) : undefined;
  const early = step.kind === 'wait' && step.overridable === false;
  switch (action.type) {
    case 'skip':
    case 'mark-done': {
      if (step.kind === 'signoff') return no(rb, { code: 'signoff-step' });
      if (wait && early) return no(rb, { code: 'wait-forbidden-early', title: step.title, wait, skip: true });
      if (wait) return no(rb, { code: 'wait-not-skipped', title: step.title, wait });
      const verb = action.type === 'skip' ? `Skip "${step.title}"` : `Mark "${step.title}" done without running it`;
      return yes({ kind: 'reason', label: `${verb} — why?` });
    }
    case 'pass-wait-early': {
      if (!wait) return no(rb, { code: 'not-a-wait', title: step.title });
      if (DONE.has(cur.status)) return no(rb, { code: 'wait-already-passed', title: step.title });
      if (early) return no(rb, { code: 'wait-forbidden-early', title: step.title, wait, skip: false });
      if (wait.state === 'due') return no(rb, { code: 'wait-due', title: step.title });
      return yes({
        kind: 'reason',
        label: `Pass "${step.title}" early (${waitWords(rb, wait).short}) — why is it safe?`,
      });
    }
    case 'start': {
      if (wait && wait.state !== 'due') return no(rb, { code: 'wait-counting', title: step.title, wait });
      if (step.kind === 'signoff') {
        const phase = findPhase(rb, action.scope);
        if (!phase) return no(rb, { code: 'signoff-outside-phase' });
        return phaseRules(rb, state, { type: 'signoff', phaseId: phase.id });
      }
      const missing = uncaptured(rb, state, action.scope, step);
      if (missing) return no(rb, missing);
      const needs: Need[] = [];
      if (DONE.has(cur.status)) {
        // a step that is done runs again only by a decision: never for what cannot be undone
        const said = `${cur.status} at ${cur.finishedAt ?? '?'}${cur.operator ? ` (by ${cur.operator})` : ''}`;
        if (step.kind === 'wait') return no(rb, { code: 'wait-done', title: step.title, said });
        if (rerunPolicy(rb, action.scope, step) === 'never')
          return no(rb, { code: 'never-rerun', title: step.title, said });
        needs.push({ kind: 'rerun', text: `Run "${step.title}" again? It ${said}.` });
      }
      // what it needs to know, once it is decided that it runs
      needs.push(...inputNeeds(rb, state, action.scope, step));
      const pnr = pointOfNoReturn(rb, action.scope, step);
      // asked only now that every precondition holds: never "type the word" and then "not yet"
      if (pnr) needs.push({ kind: 'pnr', text: pnr, word: step.id });
      const word = confirmWord(rb, state, action.scope, step);
      const entering = enteringProcedure(rb, state, action.scope);
      if (entering && !procedureApplies(rb, state, entering.id))
        return no(rb, { code: 'rollback-not-needed', title: entering.title });
      if (word)
        needs.push({
          kind: 'confirm-word',
          word,
          prompt: entering ? enteringPrompt(rb, entering) : `"${step.title}" is destructive.`,
          ...(entering ? { rollback: true } : {}),
        });
      return yes(...needs);
    }
  }
}

function phaseRules(rb: Runbook, state: RunState, action: Extract<RuleAction, { phaseId: string }>): Verdict {
  const phase = findPhase(rb, action.phaseId);
  if (!phase) return no(rb, { code: 'unknown-phase', phaseId: action.phaseId });
  const ps = phaseState(state, phase.id);
  switch (action.type) {
    case 'override-gate': {
      if (ps.status === 'signed-off') return no(rb, closedPhase(phase, ps));
      if (!phase.gate.includes(action.checkId))
        return no(rb, { code: 'not-a-gate-check', checkId: action.checkId, phase: phase.title });
      const row = gateStatus(rb, state, phase.id).find((g) => g.checkId === action.checkId);
      if (row?.status === 'passed') return no(rb, { code: 'gate-passed', checkId: action.checkId });
      const label = `Override gate check "${action.checkId}" (${row?.status ?? 'open'}) — why is it safe to go on?`;
      return yes({ kind: 'reason', label });
    }
    case 'signoff': {
      const block = signoffBlock(rb, state, phase.id);
      if (block) return no(rb, { code: 'signoff-blocked', block });
      const so = phase.steps.find((s) => s.kind === 'signoff');
      const text = so?.kind === 'signoff' && so.statement ? so.statement : `I confirm "${phase.title}" is complete.`;
      return yes({ kind: 'statement', text });
    }
    case 'approve': {
      if ((phase.approvals ?? 1) < 2) return no(rb, { code: 'approval-not-needed', title: phase.title });
      const last = ps.history?.[ps.history.length - 1];
      if (ps.status !== 'signed-off' || last?.kind !== 'signed-off')
        return no(rb, { code: 'approval-not-signed-off', title: phase.title });
      const given = approvalsInForce(ps);
      const same = given.find((a) => a.by === action.by || a.keyFingerprint === action.keyFingerprint);
      if (same) return no(rb, { code: 'approval-twice', by: same.by, title: phase.title, at: same.at });
      if (last.by === action.by || last.signature?.keyFingerprint === action.keyFingerprint)
        return no(rb, { code: 'approval-by-signer', by: last.by, title: phase.title });
      if (phase.distinct_from === 'operators') {
        const ran = new Set(
          phase.steps.flatMap((st) => {
            const x = stepState(state, phase.id, st.id);
            return [x.operator, ...(x.history ?? []).map((a) => a.operator)].filter(Boolean);
          }),
        );
        if (ran.has(action.by)) return no(rb, { code: 'approval-by-operator', by: action.by, title: phase.title });
      }
      if (!approvalsMissing(rb, state, phase.id))
        return no(rb, { code: 'approvals-complete', title: phase.title, approvals: phase.approvals ?? 1 });
      return yes();
    }
    case 'reopen': {
      if (ps.status !== 'signed-off') return no(rb, { code: 'reopen-not-signed-off', title: phase.title });
      const i = rb.phases.indexOf(phase);
      const later = rb.phases
        .slice(i + 1)
        .filter((p) => !p.independent && phaseState(state, p.id).status === 'signed-off');
      if (later.length) return no(rb, { code: 'reopen-later-first', later: later[later.length - 1].title });
      return yes({
        kind: 'reason',
        label: `Reopen "${phase.title}" — its sign-off is voided (kept in the record). Why?`,
      });
    }
  }
}

/** Whether an action is allowed now and, if so, what it needs first. */
export function can(rb: Runbook, state: RunState, action: RuleAction, now: Date): Verdict {
  if (action.type === 'abandon-rollback') {
    const p = rollbackProgress(rb, state, action.procedureId);
    if (!p) return no(rb, { code: 'unknown-procedure', procedureId: action.procedureId });
    if (!p.inProgress) return no(rb, { code: 'rollback-not-in-progress', title: p.title });
    return yes({
      kind: 'reason',
      label: `Abandon the rollback "${p.title}" (${p.done} of ${p.total} steps done) — why?`,
    });
  }
  return 'phaseId' in action ? phaseRules(rb, state, action) : stepRules(rb, state, action, now);
}

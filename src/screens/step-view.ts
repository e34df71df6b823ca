// What the steps screen shows about one step, as plain lines: its instructions, the command
// exactly as Enter will run it, the rules its output is judged by, its live output or its
// result. Pure: the detail pane takes as many lines as fit (the command always whole, the
// output winning while the step runs); `v` shows every line, scrollable.
import type { Runbook, Step } from '../runbook/schema.js';
import type { RunState, StepState } from '../state/run-state.js';
import type { CheckResult } from '../checks/types.js';
import { stepState } from '../phases/rules.js';
import { describeAfter, waitView } from '../phases/wait-words.js';
import { outputRulesText } from '../phases/output-judge.js';
import { wrap } from './theme.js';
import { describeStep } from '../phases/plan.js';
import { planEnvEdit, formatEnvDiff } from '../phases/env-edit.js';
import { resolve } from 'node:path';
import { stepKey } from '../runbook/step-key.js';
import { substituteDeep, type ValueRef } from '../runbook/values.js';
import { stepValues } from '../report/values.js';

export interface ViewLine {
  text: string;
  tone?: 'dim' | 'cmd' | 'red' | 'status' | 'out' | 'running';
}

export interface StepViewInput {
  rb: Runbook;
  state: RunState;
  step: Step;
  st: StepState;
  /** the command / check / edit as describeStep says it, secrets masked */
  action: string;
  /** the env file change an edit-env step would make */
  envDiff: string[];
  /** output lines of the step while it runs */
  live?: string[];
  /** what the step decided and captured, a line each ("captured file = …") */
  values?: string[];
  now: Date;
  width: number;
}

const lines = (text: string, width: number, tone?: ViewLine['tone']): ViewLine[] =>
  wrap(text, width).map((t) => ({ text: t, tone }));

/** The parts of a step's view, each already wrapped to the width. */
export function stepParts(v: StepViewInput): {
  instructions: ViewLine[];
  action: ViewLine[];
  notes: ViewLine[];
  diff: ViewLine[];
  output: ViewLine[];
} {
  const { step, st, width } = v;
  const instructions = step.instructions ? lines(step.instructions.trim(), width) : [];
  const action: ViewLine[] =
    step.kind === 'manual'
      ? [{ text: 'Enter confirms you did it.', tone: 'dim' }]
      : step.kind === 'signoff' || step.kind === 'wait'
        ? []
        : lines(`${step.kind === 'command' ? '$ ' : ''}${v.action}`, width, 'cmd');
  const notes: ViewLine[] = [];
  const judged = outputRulesText(step);
  if (judged) notes.push(...lines(judged, width, 'dim'));
  if (step.kind === 'wait' && st.status === 'pending')
    notes.push(...lines(waitSentence(v.rb, v.state, step, v.now), width));
  if (step.point_of_no_return) notes.push(...lines(`⛔ point of no return: ${step.point_of_no_return}`, width, 'red'));
  if (step.destructive) notes.push({ text: '⚠ destructive: you will type a confirmation word', tone: 'red' });
  // what it decided and captured stays in view with the command, whatever the output's length
  for (const l of v.values ?? []) notes.push(...lines(l, width));
  const diff: ViewLine[] = [];
  if (step.kind === 'edit-env' && st.status !== 'passed') {
    const changes = v.envDiff.some((l) => /^[+-]/.test(l));
    diff.push({
      text: changes
        ? 'Enter writes this change (a backup of the file is kept):'
        : 'Nothing to change: every key already has its value. Enter records the step.',
      tone: 'dim',
    });
    for (const l of v.envDiff)
      diff.push(...lines(l, width, l.startsWith('+') ? 'cmd' : l.startsWith('-') ? 'red' : undefined));
  }
  const output: ViewLine[] = [];
  if (v.live) {
    output.push({ text: 'running — x stops it', tone: 'running' });
    for (const l of v.live) output.push(...lines(`│ ${l}`, width, 'out'));
  } else if (st.status !== 'pending' && !st.check) {
    output.push(...lines(statusLine(st), width, 'status'));
    for (const l of st.outputTail ?? []) output.push(...lines(`│ ${l.text}`, width, 'out'));
  }
  return { instructions, action, notes, diff, output };
}

/**
 * The detail pane: the command (and what judges it) always whole; instructions keep their
 * lines before a diff or the output, except while the step runs, when its output wins.
 */
export function detailLines(v: StepViewInput, rows: number): ViewLine[] {
  const p = stepParts(v);
  const fixed = [...p.action, ...p.notes];
  const room = Math.max(0, rows - fixed.length);
  const rest = p.diff.length + p.output.length;
  const inRoom = v.live
    ? Math.min(2, p.instructions.length, room)
    : Math.min(p.instructions.length, Math.max(room - Math.min(3, rest), Math.min(2, room)));
  let instructions = p.instructions.slice(0, inRoom);
  if (instructions.length < p.instructions.length && inRoom > 0)
    instructions = [
      ...instructions.slice(0, inRoom - 1),
      { text: `… ${p.instructions.length - inRoom + 1} more lines: v shows the whole step`, tone: 'dim' },
    ];
  let left = room - instructions.length;
  const diff = p.diff.slice(0, Math.max(0, left));
  left -= diff.length;
  // the status line first, then the newest output
  const output =
    p.output.length <= left ? p.output : left > 0 ? [p.output[0], ...p.output.slice(p.output.length - left + 1)] : [];
  return [...instructions, ...fixed, ...diff, ...output];
}

/** Every line of the step, for `v`. */
export function fullLines(v: StepViewInput): ViewLine[] {
  const p = stepParts(v);
  return [
    ...p.instructions,
    ...(p.instructions.length ? [{ text: ' ' }] : []),
    ...p.action,
    ...p.notes,
    ...p.diff,
    ...(p.output.length ? [{ text: ' ' }] : []),
    ...p.output,
  ];
}

export function statusLine(st: StepState): string {
  const parts: string[] = [st.status];
  if (st.exitCode !== undefined && st.exitCode !== null) parts.push(`exit ${st.exitCode}`);
  if (st.durationMs !== undefined) parts.push(`${(st.durationMs / 1000).toFixed(1)} s`);
  if (st.operator) parts.push(st.operator);
  if (st.message) parts.push(st.message);
  if (st.reason) parts.push(st.reason);
  return parts.join(' · ');
}

/** "Starts counting when X is done; …" before the clock starts, "Counting since X was done; …" after. */
export function waitSentence(rb: Runbook, state: RunState, s: Extract<Step, { kind: 'wait' }>, now: Date): string {
  const v = waitView(rb, state, s, now);
  if (v.state === 'not-started') return `Starts counting when ${describeAfter(rb, s.after)}.`;
  const since = `Counting since ${describeAfter(rb, s.after).replace(/ is (done|signed off)$/, ' was $1')}`;
  const early =
    s.overridable === false ? ' It cannot be passed early.' : ' o passes it early as an override, with a reason.';
  return `${since}; ${v.short}.${v.state === 'counting' ? early : ''}`;
}

export type { CheckResult };

/** The view input for the selected step of a scope, from the session: one place for both views. */
export function stepViewFor(
  session: {
    runbook: Runbook;
    lr: { dir: string; redactor: { redact(s: string): string } };
    now(): Date;
    values?: { value(ref: ValueRef, scope: string): string | undefined };
  },
  state: RunState,
  scope: string,
  step: Step,
  live: { key: string; lines: string[] } | undefined,
  width: number,
  envDiff: string[],
): StepViewInput {
  const st = stepState(state, scope, step.id);
  return {
    rb: session.runbook,
    state,
    step,
    st,
    envDiff,
    width,
    now: session.now(),
    action:
      step.kind === 'edit-env'
        ? `edit ${session.lr.redactor.redact(resolve(session.lr.dir, step.file))}`
        : describeStep(
            // as Enter will run it: the inputs and captured values the run has are written in
            substituteDeep(step, (ref) => session.values?.value(ref, scope)),
            session.lr.redactor as never,
            session.runbook.checks,
          ),
    live: live && live.key === stepKey(scope, step.id) ? live.lines : undefined,
    values: valueLinesOf(state, stepKey(scope, step.id)),
  };
}

/** A step's decisions and captured values as the step view says them; a secret one never with its value. */
function valueLinesOf(state: RunState, key: string): string[] {
  return (stepValues(state, key) ?? []).map((v) => {
    const shown = v.secret ? '(secret, not shown)' : (v.value ?? '');
    return v.kind === 'input' ? `decided ${v.name} = ${shown} (${v.by})` : `captured ${v.name} = ${shown}`;
  });
}

/** What an edit-env step would change, secrets masked (reads the env file). */
export function envDiffOf(
  session: { lr: { dir: string; redactor: { redact(s: string): string } } },
  step: Step,
): string[] {
  if (step.kind !== 'edit-env') return [];
  return formatEnvDiff(planEnvEdit(resolve(session.lr.dir, step.file), step.set), (v) => session.lr.redactor.redact(v));
}

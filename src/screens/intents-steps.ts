// What the keys of a phase's steps do: run, confirm, skip, mark done, override, stop.
import { can, openGates, phaseState, scopeSteps, stepState, type Need } from '../phases/rules.js';
import type { Step } from '../runbook/schema.js';
import type { Dialog } from './model.js';
import { DONE, stepKey } from '../state/run-state.js';
import { stillRunsText } from '../phases/left-running.js';
import { tuiError, tuiRefusal } from './refusal-words.js';
import type { Ctx } from './intent-context.js';
import { findPhase } from '../phases/lookups.js';
import { inputDialog } from './intents-inputs.js';

type Given = { confirmWord?: string; pnrConfirmed?: boolean; rerun?: boolean };

/** Enter on a step: the rules say what may happen and what it needs; the screen only asks for it, in their order. */
export function startSelected(c: Ctx, given: Given = {}): void {
  const ui = c.store.snap.ui;
  const step = c.intents.selectedStep();
  const scope = ui.scope ?? '';
  if (!step) return;
  if (stepState(c.session.state, scope, step.id).status === 'running')
    return c.store.say(`"${step.title}" is running — x stops it`);
  if (step.kind === 'signoff') return void c.intents.askSignoff();
  if (c.intents.askStoppedFirst(scope, step.id)) return;
  const [again] = c.session.values.secretsNotHeld(step);
  if (again)
    return c.store.setUi({
      ...ui,
      dialog: inputDialog(c.session.runbook, again, { scope, stepId: step.id, again: true }),
    });
  const v = can(c.session.runbook, c.session.state, { type: 'start', scope, stepId: step.id }, c.session.now());
  if (!v.ok) return c.store.say(tuiRefusal(c.session.runbook, v.refusal), 'error');
  const ask = v.needs.map((n) => dialogFor(c, step, scope, n, given)).find((d) => d);
  if (ask) return c.store.setUi({ ...ui, dialog: ask });
  if (step.kind === 'manual') {
    const r = c.session.dispatch({ type: 'step.confirm', scope, stepId: step.id, ...given });
    if (!r.ok) return c.store.say(tuiError(c.session.runbook, r), 'error');
    c.store.say(`confirmed: ${step.title}`, 'ok');
    return c.intents.advance(scope);
  }
  const started = Date.now();
  const r = c.session.dispatch({ type: 'step.start', scope, stepId: step.id, ...given });
  if (!r.ok) return c.store.say(tuiError(c.session.runbook, r), 'error');
  if (r.effects.some((e) => e.type !== 'sign-phase')) return showRunning(c, step, scope, started);
  c.store.say(`${step.title}: ${stepState(c.session.state, scope, step.id).status}`, 'ok');
  c.intents.advance(scope);
}

/** The dialog a need asks with, or undefined when the operator gave it already. */
function dialogFor(c: Ctx, step: Step, scope: string, n: Need, given: Given): Dialog | undefined {
  if (n.kind === 'input')
    return inputDialog(c.session.runbook, n.name, {
      scope,
      stepId: step.id,
      rerun: given.rerun,
      decision: n.asked,
      previous: c.session.state.inputs?.[n.name]?.value,
    });
  if (n.kind === 'rerun' && !given.rerun)
    return { kind: 'confirm-key', purpose: 'rerun', scope, stepId: step.id, prompt: n.text };
  if (n.kind === 'pnr' && !given.pnrConfirmed)
    return {
      kind: 'confirm-word',
      purpose: 'pnr',
      scope,
      stepId: step.id,
      word: n.word,
      prompt: `POINT OF NO RETURN: ${n.text}`,
      text: '',
      rerun: given.rerun,
      change:
        step.kind === 'edit-env'
          ? c.store.envDiff(step, c.session.state.updatedAt)
          : step.kind === 'command'
            ? [`$ ${c.session.commandText(step, scope)}`]
            : undefined,
    };
  if (n.kind === 'confirm-word' && given.confirmWord !== n.word)
    return {
      kind: 'confirm-word',
      purpose: n.rollback ? 'rollback' : 'destructive',
      scope,
      stepId: step.id,
      word: n.word,
      prompt: n.prompt,
      text: '',
      rerun: given.rerun,
    };
  return undefined;
}

/** A step that runs: its live panel, its command printed; the cursor moves on once it passed. */
function showRunning(c: Ctx, step: Step, scope: string, started: number): void {
  const cmd =
    step.kind === 'command'
      ? `$ ${c.session.commandText(step, scope)}`
      : step.kind === 'check'
        ? `check ${step.check}`
        : `edit ${step.kind === 'edit-env' ? step.file : ''}`;
  c.store.update({ live: { key: stepKey(scope, step.id), title: step.title, startedAt: started, lines: [] } });
  c.store.print(`▶ ${step.title}`);
  c.store.print(`  ${cmd}`);
  c.store.say(`running: ${step.title}`);
  void c.session.idle().then(() => {
    if (stepState(c.session.state, scope, step.id).status === 'passed') c.intents.advance(scope);
  });
}

/** After a step is done, the cursor moves to the next open step of the same list. */
export function advance(c: Ctx, scope: string): void {
  const ui = c.store.snap.ui;
  if (ui.screen !== 'steps' || ui.scope !== scope) return;
  const steps = scopeSteps(c.session.runbook, scope) ?? [];
  const cur = ui.cursor.steps ?? 0;
  const next = steps.findIndex((s, i) => i > cur && !DONE.has(stepState(c.session.state, scope, s.id).status));
  if (next >= 0) c.store.setUi({ ...c.store.snap.ui, cursor: { ...c.store.snap.ui.cursor, steps: next } });
}

export function askReason(c: Ctx, purpose: 'skip' | 'mark-done'): void {
  const step = c.intents.selectedStep();
  const scope = c.store.snap.ui.scope ?? '';
  if (!step || c.intents.askStoppedFirst(scope, step.id)) return;
  c.intents.askWhy(purpose, { type: purpose, scope, stepId: step.id }, { scope, stepId: step.id });
}

/** A step a Waymark on another host left running is not acted on before the operator says it stopped there. */
export function askStoppedFirst(c: Ctx, scope: string, stepId: string): boolean {
  if (!stepState(c.session.state, scope, stepId).elsewhere) return false;
  c.intents.askWhy('confirm-stopped', { type: 'confirm-stopped', scope, stepId }, { scope, stepId });
  return true;
}

/** o: a wait selected is passed early; otherwise a gate check is overridden. */
export function askOverride(c: Ctx): void {
  const ui = c.store.snap.ui;
  const phaseId = ui.scope ?? '';
  const rb = c.session.runbook;
  if (!rb.phases.some((p) => p.id === phaseId))
    return c.store.say('gates belong to phases; open a phase first', 'error');
  const step = c.intents.selectedStep();
  if (step?.kind === 'wait' && !DONE.has(stepState(c.session.state, phaseId, step.id).status))
    return c.intents.askWhy(
      'pass-wait-early',
      { type: 'pass-wait-early', scope: phaseId, stepId: step.id },
      { scope: phaseId, stepId: step.id },
    );
  const open = openGates(rb, c.session.state, phaseId);
  if (phaseState(c.session.state, phaseId).status !== 'signed-off' && !open.length)
    return c.store.say('every gate check of this phase has passed; nothing to override', 'ok');
  if (open.length > 1)
    return c.store.setUi({
      ...ui,
      dialog: { kind: 'pick-gate', phaseId, options: open.map((g) => g.checkId), cursor: 0 },
    });
  const checkId = open[0]?.checkId ?? findPhase(rb, phaseId)!.gate[0] ?? '';
  c.intents.askWhy('override', { type: 'override-gate', phaseId, checkId }, { scope: phaseId, checkId });
}

/** x: stops the running step; a step a stopped Waymark left running is stopped after its word. */
export function cancelStep(c: Ctx): void {
  const ui = c.store.snap.ui;
  const step = c.intents.selectedStep();
  const left = c.session.stillRunning().find((o) => o.key === stepKey(ui.scope ?? '', step?.id ?? ''));
  if (left && step) {
    const prompt = `${stillRunsText(left)}. Stop it?`;
    return c.store.setUi({
      ...ui,
      dialog: {
        kind: 'confirm-word',
        purpose: 'stop',
        scope: ui.scope ?? '',
        stepId: step.id,
        word: 'STOP',
        prompt,
        text: '',
      },
    });
  }
  if (!c.session.isBusy()) return c.store.say('nothing is running');
  c.session.cancel();
  return c.store.say('stopping the running step (its whole process tree)…');
}

// The inputs a run needs, asked in the TUI: those of the start as the session opens, a step's own
// (its decisions) when it is reached, and a secret given in an earlier session again. What the
// operator gives goes through the session, which records it (a secret one as given, never its value).
import type { Runbook } from '../runbook/schema.js';
import { choicesOf } from '../runbook/values.js';
import { lacking, startInputs } from '../phases/input-sources.js';
import { stepKey } from '../runbook/step-key.js';
import type { Dialog } from './model.js';
import type { Ctx } from './intent-context.js';

type InputDialog = Extract<Dialog, { kind: 'input' }>;

/** The dialog that asks for an input, its default proposed (the choice, or the text). */
export function inputDialog(
  rb: Runbook,
  name: string,
  at: { scope?: string; stepId?: string; again?: boolean; rerun?: boolean; decision?: boolean; previous?: string } = {},
): InputDialog {
  const def = rb.inputs[name];
  const choices = choicesOf(def);
  // asked again (a step run anew), the last answer is proposed; else the default
  const { previous, ...where } = at;
  const dflt = previous ?? def.default ?? '';
  return {
    kind: 'input',
    name,
    description: def.description,
    secret: !!def.secret,
    choices,
    cursor: Math.max(
      0,
      choices.findIndex((c) => c.value === dflt),
    ),
    text: choices.length || def.secret ? '' : dflt,
    ...where,
  };
}

/** Asks for the first input of the start the session lacks; false when it lacks none. */
export function askStartInputs(c: Ctx): boolean {
  const [name] = lacking(c.session, startInputs(c.session.runbook));
  if (!name) return false;
  const again = !!c.session.state.inputs?.[name];
  c.store.setUi({ ...c.store.snap.ui, dialog: inputDialog(c.session.runbook, name, { again }) });
  return true;
}

/** Enter in an input dialog: given through the session, then the next input, or the step goes on. */
export function submitInput(c: Ctx, d: InputDialog): void {
  const value = d.choices.length ? d.choices[d.cursor]?.value : d.text;
  const step = d.scope !== undefined && d.stepId ? stepKey(d.scope, d.stepId) : undefined;
  const r = c.session.giveInput(d.name, value ?? '', { step });
  if (!r.ok) return c.store.setUi({ ...c.store.snap.ui, dialog: { ...d, error: r.error } });
  c.store.setUi({ ...c.store.snap.ui, dialog: undefined });
  c.store.say(`${d.name} ${d.secret ? 'given (secret: not shown or stored)' : `= ${value}`}: recorded`, 'ok');
  if (step) return c.intents.startSelected({ rerun: d.rerun });
  askStartInputs(c);
}

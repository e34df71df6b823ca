// One handler per action a key sends (key-map.ts): the table the controller dispatches through.
// Navigation is pure (model.ts `navigate`); what touches the run goes through the session.
import { parseScope } from '../phases/rules.js';
import { orderedProcedures } from '../phases/rollback-plan.js';
import { navigate, type Action } from './model.js';
import { tuiError } from './refusal-words.js';
import type { Ctx } from './intent-context.js';
import { activate } from './intents-nav.js';
import { askOverride, askReason, cancelStep } from './intents-steps.js';
import { approveSelected, askReopen, askSignoff, report, submit } from './intents-dialogs.js';

type Handlers = { [T in Action['type']]: (c: Ctx, action: Extract<Action, { type: T }>) => void | Promise<void> };

/** Keys that only move within the screen or its dialog: pure navigation. */
const navigation = (c: Ctx, action: Action) => c.store.setUi(navigate(c.store.snap.ui, action, c.intents.listLength()));

export const ON_ACTION: Handlers = {
  none: () => undefined,
  open: (c, action) => {
    const ui = c.store.snap.ui;
    if (action.screen === 'rollback' && ui.screen === 'steps' && parseScope(ui.scope ?? '').kind === 'rollback') return;
    c.store.setUi(navigate({ ...ui, dialog: undefined }, action, 0));
    if (action.screen === 'monitor') void c.refreshMonitor();
    if (action.screen === 'success') void c.refreshSuccess();
  },
  back: (c, action) => {
    const ui = c.store.snap.ui;
    if (ui.screen === 'start') return;
    if (ui.stack.length === 0 || (ui.stack.length === 1 && ui.stack[0] === 'start'))
      return c.store.setUi({ ...ui, screen: 'overview', stack: ['start'], scopes: [], message: undefined });
    c.store.setUi(navigate(ui, action, 0));
  },
  move: navigation,
  help: navigation,
  'close-dialog': navigation,
  text: navigation,
  backspace: navigation,
  'toggle-watch': navigation,
  activate: (c) => activate(c),
  'ack-drift': (c) => {
    const drift = c.session.state.drift;
    if (!drift || drift.acknowledgedAt) return c.store.say('there is no runbook change to acknowledge');
    const r = c.session.dispatch({ type: 'drift.ack' });
    if (r.ok) c.store.say('runbook changes acknowledged (recorded in the audit log); Enter resumes', 'ok');
    else c.store.say(tuiError(c.session.runbook, r), 'error');
  },
  submit: (c) => submit(c),
  skip: (c, action) => askReason(c, action.type),
  'mark-done': (c, action) => askReason(c, action.type),
  override: (c) => askOverride(c),
  signoff: (c) => void askSignoff(c),
  'cancel-step': (c) => cancelStep(c),
  rerun: (c) => c.rerunSelected(),
  report: (c) => report(c),
  reopen: (c) => askReopen(c),
  approve: (c) => void approveSelected(c),
  quit: (c) => c.store.setUi({ ...c.store.snap.ui, dialog: { kind: 'quit', running: c.session.isBusy() } }),
  abandon: (c) => {
    const ui = c.store.snap.ui;
    const procId =
      ui.screen === 'rollback'
        ? orderedProcedures(c.session.runbook, c.session.state)[ui.cursor.rollback ?? 0]?.id
        : parseScope(ui.scope ?? '').id;
    if (!procId) return;
    const action = { type: 'abandon-rollback', procedureId: procId } as const;
    c.intents.askWhy('abandon-rollback', action, { scope: `rollback:${procId}` });
  },
  unbound: (c, action) => c.store.say(action.why, 'error'),
  'confirm-yes': (c) => {
    const ui = c.store.snap.ui;
    if (ui.dialog?.kind !== 'confirm-key') return;
    c.store.setUi({ ...ui, dialog: undefined });
    c.intents.startSelected({ rerun: true });
  },
  // quitting stops a running step: the same exit code as Ctrl-C, so a script can tell
  'quit-now': (c) => c.exit(c.session.isBusy() ? 130 : 0),
  interrupt: (c) => {
    if (c.session.isBusy()) c.store.print('Ctrl-C: stopping the running step and saving the state…');
    return c.exit(130);
  },
};

// Every key of the TUI outside dialogs, in one table: which key, on which screens, the action it
// sends, and the help text. Key handling (`keyToAction`), the help dialog and the frame's hints
// are all made from it, so a key and its help cannot drift apart (gemini-cli's keyBindings.ts).
import type { Action, Dialog, KeyInfo, ScreenId, UiState } from './model.js';

/** A key as the table names it: a character, or a named key (up, down, pageUp, pageDown, escape, return). */
export type Key = string;

export interface Binding {
  keys: Key[];
  /** where it works: every screen, or these */
  screens: 'all' | ScreenId[];
  /** a further condition on what is on screen */
  when?: (ui: UiState) => boolean;
  action: Action;
  /** its line in the help: the keys as shown, and what they do; none for a key the help names with another */
  help?: [string, string];
}

const inRollback = (ui: UiState) => ui.screen === 'rollback' || !!ui.scope?.startsWith('rollback:');

/** The screens' own keys first (in the help's order per screen), then the keys that work everywhere. */
export const KEY_MAP: Binding[] = [
  {
    keys: ['return'],
    screens: ['start'],
    action: { type: 'activate' },
    help: ['Enter', 'continue: begin a new run or resume this one'],
  },
  { keys: ['a'], screens: ['start'], action: { type: 'ack-drift' }, help: ['a', 'acknowledge runbook changes'] },
  { keys: ['return'], screens: ['overview'], action: { type: 'activate' }, help: ['Enter', 'open the phase'] },
  {
    keys: ['g'],
    screens: ['overview'],
    action: { type: 'report' },
    help: ['g', 'write the signed report of a signed-off phase'],
  },
  {
    keys: ['r'],
    screens: ['overview'],
    action: { type: 'reopen' },
    help: ['r', 'reopen a signed-off phase (with a reason; its sign-off is voided, kept in the record)'],
  },
  {
    keys: ['A'],
    screens: ['overview'],
    action: { type: 'approve' },
    help: ['A', "approve the selected phase's sign-off: a second person, with their own key"],
  },
  {
    keys: ['return'],
    screens: ['steps'],
    action: { type: 'activate' },
    help: ['Enter', 'run the step / confirm it / sign off'],
  },
  {
    keys: ['v'],
    screens: ['steps'],
    action: { type: 'open', screen: 'step' },
    help: ['v', 'view the whole step: instructions, command, all output'],
  },
  { keys: ['s'], screens: ['steps'], action: { type: 'skip' }, help: ['s', 'skip the step (with a reason)'] },
  { keys: ['d'], screens: ['steps'], action: { type: 'mark-done' }, help: ['d', 'mark the step done (with a reason)'] },
  {
    keys: ['o'],
    screens: ['steps'],
    action: { type: 'override' },
    help: ['o', 'override a gate check, or pass a wait early (with a reason)'],
  },
  { keys: ['S'], screens: ['steps'], action: { type: 'signoff' }, help: ['S', 'sign off the phase'] },
  { keys: ['x'], screens: ['steps'], action: { type: 'cancel-step' }, help: ['x', 'stop the running step'] },
  {
    keys: ['r'],
    screens: ['steps'],
    action: { type: 'reopen' },
    help: ['r', 'reopen the signed-off phase (with a reason)'],
  },
  {
    keys: ['a'],
    screens: ['steps'],
    when: inRollback,
    action: { type: 'abandon' },
    help: ['a', 'abandon this rollback procedure (with a reason)'],
  },
  {
    keys: ['return', 'r'],
    screens: ['checks'],
    action: { type: 'rerun' },
    help: ['Enter / r', 're-run the selected check'],
  },
  { keys: ['w'], screens: ['checks'], action: { type: 'toggle-watch' }, help: ['w', 'watch: re-run every interval'] },
  { keys: ['r'], screens: ['monitor'], action: { type: 'rerun' }, help: ['r', 'refresh now'] },
  { keys: ['return'], screens: ['rollback'], action: { type: 'activate' }, help: ['Enter', 'open the procedure'] },
  {
    keys: ['a'],
    screens: ['rollback'],
    action: { type: 'abandon' },
    help: ['a', 'abandon the selected rollback in progress (with a reason)'],
  },
  {
    keys: ['return'],
    screens: ['troubleshooting'],
    action: { type: 'activate' },
    help: ['Enter', 'open the diagnostics'],
  },
  // every screen
  { keys: ['?'], screens: 'all', action: { type: 'help' }, help: ['?', 'help: every key'] },
  { keys: ['up', 'k'], screens: 'all', action: { type: 'move', delta: -1 }, help: ['↑ ↓  j k', 'move'] },
  { keys: ['down', 'j'], screens: 'all', action: { type: 'move', delta: 1 } },
  { keys: ['pageUp'], screens: 'all', action: { type: 'move', delta: -10 } },
  { keys: ['pageDown'], screens: 'all', action: { type: 'move', delta: 10 } },
  { keys: ['return'], screens: 'all', action: { type: 'activate' }, help: ['Enter', 'open / run / confirm'] },
  { keys: ['escape'], screens: 'all', action: { type: 'back' }, help: ['Esc', 'back (closes dialogs)'] },
  {
    keys: ['R'],
    screens: 'all',
    action: { type: 'open', screen: 'rollback' },
    help: ['R', 'rollback procedures (from any screen)'],
  },
  { keys: ['c'], screens: 'all', action: { type: 'open', screen: 'checks' }, help: ['c', 'checks panel'] },
  { keys: ['m'], screens: 'all', action: { type: 'open', screen: 'monitor' }, help: ['m', 'monitor'] },
  { keys: ['t'], screens: 'all', action: { type: 'open', screen: 'troubleshooting' }, help: ['t', 'troubleshooting'] },
  {
    keys: ['p'],
    screens: 'all',
    action: { type: 'open', screen: 'plan' },
    help: ['p', 'plan: what would run now (dry run)'],
  },
  {
    keys: ['G'],
    screens: 'all',
    action: { type: 'open', screen: 'success' },
    help: ['G', 'goals: the success criteria, met or not, and why'],
  },
  { keys: ['q'], screens: 'all', action: { type: 'quit' }, help: ['q', 'quit (asks first)'] },
];

/** Ctrl-C works everywhere, dialogs included: it is not a key of the table but the help names it. */
const INTERRUPT_HELP: [string, string] = ['Ctrl-C', 'stop a running step and quit safely'];

/** The table's name for a key press. */
export function keyOf(input: string, key: KeyInfo): Key {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.pageUp) return 'pageUp';
  if (key.pageDown) return 'pageDown';
  if (key.escape) return 'escape';
  if (key.return) return 'return';
  return input;
}

const onScreen = (b: Binding, ui: UiState) =>
  (b.screens === 'all' || b.screens.includes(ui.screen)) && (!b.when || b.when(ui));

/** The action of a key on the screen showing (no dialog open), or undefined when it has none here. */
export function boundAction(ui: UiState, input: string, key: KeyInfo): Action | undefined {
  const k = keyOf(input, key);
  return KEY_MAP.find((b) => b.keys.includes(k) && onScreen(b, ui))?.action;
}

/** Keys that work on every screen (when no dialog is open), as the help lists them. */
export const GLOBAL_KEYS: Array<[string, string]> = [
  ...KEY_MAP.filter((b) => b.screens === 'all' && b.help).map((b) => b.help!),
  INTERRUPT_HELP,
];

/** Each screen's own keys, as the help and the frame's hints list them. */
export const SCREEN_KEYS: Partial<Record<ScreenId, Array<[string, string]>>> = {};
for (const b of KEY_MAP)
  if (b.screens !== 'all' && b.help) for (const s of b.screens) (SCREEN_KEYS[s] ??= []).push(b.help);

/** The keys of an open dialog: it takes text, or one key decides, or a list is picked from. */
function dialogAction(d: Dialog, input: string, key: KeyInfo): Action {
  if (key.escape) return { type: 'close-dialog' };
  if (d.kind === 'help' || d.kind === 'message')
    return key.return || input === '?' || input === 'q' ? { type: 'close-dialog' } : { type: 'none' };
  if (d.kind === 'confirm-key')
    return input === 'y' || input === 'Y' ? { type: 'confirm-yes' } : { type: 'close-dialog' };
  if (d.kind === 'quit') {
    if (input === 'y' || input === 'Y') return { type: 'quit-now' };
    if (input === 'n' || input === 'N' || key.return) return { type: 'close-dialog' };
    return { type: 'none' };
  }
  if (d.kind === 'pick-gate' || (d.kind === 'input' && d.choices.length)) {
    if (key.upArrow || input === 'k') return { type: 'move', delta: -1 };
    if (key.downArrow || input === 'j') return { type: 'move', delta: 1 };
    if (key.return) return { type: 'submit' };
    return { type: 'none' };
  }
  if (key.return) return { type: 'submit' };
  if (key.backspace || key.delete) return { type: 'backspace' };
  if (input && !key.ctrl && !key.tab && input >= ' ') return { type: 'text', ch: input };
  return { type: 'none' };
}

/** Maps a key press to an action, given what is on screen. */
export function keyToAction(ui: UiState, input: string, key: KeyInfo): Action {
  if (key.ctrl && input === 'c') return { type: 'interrupt' };
  if (ui.dialog) return dialogAction(ui.dialog, input, key);
  return boundAction(ui, input, key) ?? unbound(input, ui.screen);
}

const SCREEN_NAMES: Partial<Record<ScreenId, string>> = {
  start: 'the start screen',
  overview: 'the phases overview',
  steps: "a phase's steps",
  checks: 'the checks panel (c)',
  monitor: 'the monitor (m)',
  rollback: 'the rollback list (R)',
  troubleshooting: 'troubleshooting (t)',
};

/** A key that does something on other screens says where, instead of nothing. */
function unbound(input: string, here: ScreenId): Action {
  const where = Object.entries(SCREEN_KEYS)
    .filter(([id]) => id !== here)
    .filter(([, keys]) => keys.some(([k]) => k === input || k.split(' / ').includes(input)))
    .map(([id, keys]) => ({
      id: id as ScreenId,
      what: keys.find(([k]) => k === input || k.split(' / ').includes(input))![1],
    }));
  if (!where.length || input.length !== 1) return { type: 'none' };
  const first = where[0];
  return {
    type: 'unbound',
    why: `${input} (${first.what}) works on ${where.map((w) => SCREEN_NAMES[w.id] ?? w.id).join(' and ')}, not here`,
  };
}

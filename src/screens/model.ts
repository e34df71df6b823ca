// What the TUI shows and which key does what: plain data and pure functions, no
// React and no terminal, so the key flows are testable without rendering.
export type ScreenId =
  'start' | 'overview' | 'steps' | 'step' | 'checks' | 'rollback' | 'monitor' | 'troubleshooting' | 'plan' | 'success';

export type DialogPurpose =
  'skip' | 'mark-done' | 'override' | 'pass-wait-early' | 'reopen' | 'confirm-stopped' | 'abandon-rollback';

export type Dialog =
  | { kind: 'help' }
  | { kind: 'quit'; running: boolean }
  | {
      kind: 'reason';
      purpose: DialogPurpose;
      scope: string;
      stepId?: string;
      checkId?: string;
      label: string;
      text: string;
      error?: string;
    }
  | { kind: 'pick-gate'; phaseId: string; options: string[]; cursor: number }
  | { kind: 'signoff'; phaseId: string; text: string; error?: string }
  | {
      kind: 'confirm-word';
      purpose: 'destructive' | 'pnr' | 'stop' | 'rollback';
      scope: string;
      stepId: string;
      word: string;
      prompt: string;
      text: string;
      error?: string;
      /** asked after the operator decided to run a done step again */
      rerun?: boolean;
      /** the whole change the step makes (a diff, the command), shown before the word is typed */
      change?: string[];
    }
  | { kind: 'message'; title: string; lines: string[] }
  /** one key decides: y goes on, any other key cancels */
  | { kind: 'confirm-key'; purpose: 'rerun'; scope: string; stepId: string; prompt: string };

export interface UiState {
  screen: ScreenId;
  stack: ScreenId[];
  /** the scope each screen of the stack showed: Esc goes back to where the operator came from */
  scopes?: Array<string | undefined>;
  /** the phase / procedure / troubleshooting entry the steps screen shows */
  scope?: string;
  cursor: Partial<Record<ScreenId, number>>;
  dialog?: Dialog;
  watch: boolean;
  /** one line at the bottom: what just happened or why not */
  message?: { text: string; tone: 'info' | 'error' | 'ok' };
}

export const initialUi = (): UiState => ({ screen: 'start', stack: [], cursor: {}, watch: false });

export interface KeyInfo {
  upArrow?: boolean;
  downArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
}

export type Action =
  | { type: 'none' }
  | { type: 'open'; screen: ScreenId; scope?: string }
  | { type: 'back' }
  | { type: 'move'; delta: number }
  | { type: 'help' }
  | { type: 'close-dialog' }
  | { type: 'text'; ch: string }
  | { type: 'backspace' }
  | { type: 'submit' }
  | { type: 'activate' }
  | { type: 'ack-drift' }
  | { type: 'skip' }
  | { type: 'mark-done' }
  | { type: 'override' }
  | { type: 'signoff' }
  | { type: 'cancel-step' }
  | { type: 'rerun' }
  | { type: 'toggle-watch' }
  | { type: 'report' }
  | { type: 'reopen' }
  | { type: 'approve' }
  | { type: 'quit' }
  | { type: 'quit-now' }
  | { type: 'confirm-yes' }
  /** a key that works on other screens: said where, never silently nothing */
  | { type: 'unbound'; why: string }
  | { type: 'abandon' }
  | { type: 'interrupt' };

/** Keys that work on every screen (when no dialog is open). */
export const GLOBAL_KEYS: Array<[string, string]> = [
  ['?', 'help: every key'],
  ['↑ ↓  j k', 'move'],
  ['Enter', 'open / run / confirm'],
  ['Esc', 'back (closes dialogs)'],
  ['R', 'rollback procedures (from any screen)'],
  ['c', 'checks panel'],
  ['m', 'monitor'],
  ['t', 'troubleshooting'],
  ['p', 'plan: what would run now (dry run)'],
  ['G', 'goals: the success criteria, met or not, and why'],
  ['q', 'quit (asks first)'],
  ['Ctrl-C', 'stop a running step and quit safely'],
];

export const SCREEN_KEYS: Partial<Record<ScreenId, Array<[string, string]>>> = {
  start: [
    ['Enter', 'continue: begin a new run or resume this one'],
    ['a', 'acknowledge runbook changes'],
  ],
  overview: [
    ['Enter', 'open the phase'],
    ['g', 'write the signed report of a signed-off phase'],
    ['r', 'reopen a signed-off phase (with a reason; its sign-off is voided, kept in the record)'],
    ['A', "approve the selected phase's sign-off: a second person, with their own key"],
  ],
  steps: [
    ['Enter', 'run the step / confirm it / sign off'],
    ['v', 'view the whole step: instructions, command, all output'],
    ['s', 'skip the step (with a reason)'],
    ['d', 'mark the step done (with a reason)'],
    ['o', 'override a gate check, or pass a wait early (with a reason)'],
    ['S', 'sign off the phase'],
    ['x', 'stop the running step'],
    ['r', 'reopen the signed-off phase (with a reason)'],
    ['a', 'abandon this rollback procedure (with a reason)'],
  ],
  checks: [
    ['Enter / r', 're-run the selected check'],
    ['w', 'watch: re-run every interval'],
  ],
  monitor: [['r', 'refresh now']],
  rollback: [
    ['Enter', 'open the procedure'],
    ['a', 'abandon the selected rollback in progress (with a reason)'],
  ],
  troubleshooting: [['Enter', 'open the diagnostics']],
};

/** Maps a key press to an action, given what is on screen. */
export function keyToAction(ui: UiState, input: string, key: KeyInfo): Action {
  if (key.ctrl && input === 'c') return { type: 'interrupt' };
  const d = ui.dialog;
  if (d) {
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
    if (d.kind === 'pick-gate') {
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
  if (key.upArrow || input === 'k') return { type: 'move', delta: -1 };
  if (key.downArrow || input === 'j') return { type: 'move', delta: 1 };
  if (key.pageUp) return { type: 'move', delta: -10 };
  if (key.pageDown) return { type: 'move', delta: 10 };
  if (key.escape) return { type: 'back' };
  if (key.return) return { type: 'activate' };
  switch (input) {
    case '?':
      return { type: 'help' };
    case 'q':
      return { type: 'quit' };
    case 'R':
      return { type: 'open', screen: 'rollback' };
    case 'c':
      return { type: 'open', screen: 'checks' };
    case 'm':
      return { type: 'open', screen: 'monitor' };
    case 't':
      return { type: 'open', screen: 'troubleshooting' };
    case 'p':
      return { type: 'open', screen: 'plan' };
    case 'G':
      return { type: 'open', screen: 'success' };
  }
  if (ui.screen === 'steps' && input === 'v') return { type: 'open', screen: 'step' };
  if (ui.screen === 'start' && input === 'a') return { type: 'ack-drift' };
  if (input === 'a' && (ui.screen === 'rollback' || (ui.screen === 'steps' && ui.scope?.startsWith('rollback:'))))
    return { type: 'abandon' };
  if (ui.screen === 'overview' && input === 'g') return { type: 'report' };
  if (ui.screen === 'overview' && input === 'A') return { type: 'approve' };
  if ((ui.screen === 'overview' || ui.screen === 'steps') && input === 'r') return { type: 'reopen' };
  if (ui.screen === 'steps') {
    if (input === 's') return { type: 'skip' };
    if (input === 'd') return { type: 'mark-done' };
    if (input === 'o') return { type: 'override' };
    if (input === 'S') return { type: 'signoff' };
    if (input === 'x') return { type: 'cancel-step' };
  }
  if ((ui.screen === 'checks' || ui.screen === 'monitor') && input === 'r') return { type: 'rerun' };
  if (ui.screen === 'checks' && input === 'w') return { type: 'toggle-watch' };
  return unbound(input, ui.screen);
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

/** The stack with the screen showing now pushed on it, and the scope it shows. */
export function pushed(ui: UiState): Pick<UiState, 'stack' | 'scopes'> {
  const scopes = [...(ui.scopes ?? [])];
  scopes.length = ui.stack.length;
  return { stack: [...ui.stack, ui.screen], scopes: [...scopes, ui.scope] };
}

/** Screens that open at their top: a phase's steps, a step's whole view, the criteria. */
const SCROLL_FROM_TOP = new Set<ScreenId>(['steps', 'step', 'success']);

/** Pure navigation; the controller handles everything that touches the run. */
export function navigate(ui: UiState, action: Action, listLength: number): UiState {
  switch (action.type) {
    case 'open':
      if (ui.screen === action.screen && ui.scope === action.scope) return ui;
      return {
        ...ui,
        ...pushed(ui),
        screen: action.screen,
        scope: action.scope ?? ui.scope,
        cursor: SCROLL_FROM_TOP.has(action.screen) ? { ...ui.cursor, [action.screen]: undefined } : ui.cursor,
        message: undefined,
      };
    case 'back': {
      if (!ui.stack.length) return ui;
      const stack = ui.stack.slice(0, -1);
      const scopes = (ui.scopes ?? []).slice(0, stack.length + 1);
      return {
        ...ui,
        stack,
        scopes: scopes.slice(0, -1),
        scope: scopes.length > stack.length ? scopes[stack.length] : ui.scope,
        screen: ui.stack[ui.stack.length - 1],
        watch: ui.screen === 'checks' ? false : ui.watch,
        message: undefined,
      };
    }
    case 'move': {
      if (ui.dialog?.kind === 'pick-gate') {
        const n = ui.dialog.options.length;
        return {
          ...ui,
          dialog: { ...ui.dialog, cursor: Math.max(0, Math.min(n - 1, ui.dialog.cursor + action.delta)) },
        };
      }
      const cur = ui.cursor[ui.screen] ?? 0;
      const next = Math.max(0, Math.min(Math.max(0, listLength - 1), cur + action.delta));
      return { ...ui, cursor: { ...ui.cursor, [ui.screen]: next } };
    }
    case 'help':
      return { ...ui, dialog: { kind: 'help' } };
    case 'close-dialog':
      return { ...ui, dialog: undefined };
    case 'text':
      if (!ui.dialog || !('text' in ui.dialog)) return ui;
      return {
        ...ui,
        dialog: { ...ui.dialog, text: (ui.dialog.text + action.ch).slice(0, 500), error: undefined },
      };
    case 'backspace':
      if (!ui.dialog || !('text' in ui.dialog)) return ui;
      return { ...ui, dialog: { ...ui.dialog, text: ui.dialog.text.slice(0, -1) } };
    case 'toggle-watch':
      return { ...ui, watch: !ui.watch };
    default:
      return ui;
  }
}

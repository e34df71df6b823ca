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
  /** an input the run needs: picked from its choices, or typed (masked when secret) */
  | {
      kind: 'input';
      name: string;
      description?: string;
      secret: boolean;
      choices: Array<{ value: string; description?: string }>;
      cursor: number;
      text: string;
      error?: string;
      /** asked again: a secret given in an earlier session is not stored anywhere to be read back */
      again?: boolean;
      /** the step that asks it (a decision); none for the inputs asked as the run starts */
      scope?: string;
      stepId?: string;
      /** the operator already decided to run the step again: not asked twice */
      rerun?: boolean;
      /** a decision the step asks for (its `ask:`), not an input of the run it happens to use */
      decision?: boolean;
    }
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
      if (ui.dialog?.kind === 'input' && ui.dialog.choices.length) {
        const n = ui.dialog.choices.length;
        const cursor = Math.max(0, Math.min(n - 1, ui.dialog.cursor + action.delta));
        return { ...ui, dialog: { ...ui.dialog, cursor, error: undefined } };
      }
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

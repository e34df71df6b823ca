// The frame around every screen as a view model: the header (runbook, availability, rehearsal,
// operator), the message line and the key hints that fit. Pure; the controller publishes it.
import type { Runbook } from '../runbook/schema.js';
import type { RunState } from '../state/run-state.js';
import { rehearsalLabel } from '../state/run-state.js';
import { parseScope, rollbacksInProgress } from '../phases/rules.js';
import type { UiState } from './model.js';
import { SCREEN_KEYS } from './key-map.js';
import { fitHints, truncate } from './theme.js';

export interface FrameView {
  title: string;
  operator: string;
  /** "REHEARSAL · clock +8d": on every screen, its times are not real ones */
  rehearsal?: string;
  /** what the availability probes see: up, or the alert line to show */
  availability?: { up: boolean; alert?: string };
  message?: { text: string; tone: 'info' | 'error' | 'ok' };
  hints: string;
  /** a rollback begun and neither finished nor abandoned: said on every screen, never cut */
  rollback?: string;
}

/** Whom a follower follows, said in its header: the session's end and a new one taking over show at once. */
const followed = (holder: string | null | undefined) =>
  holder === undefined ? '' : holder === null ? ' nobody' : ` ${holder.split(' on ')[0]}`;

export function frameView(v: {
  rb: Runbook;
  state: RunState;
  ui: UiState;
  operator: string;
  availability?: string;
  width: number;
  /** this session only follows a run another session holds */
  following?: boolean;
  /** whom a follower follows: the holder's name, or null when no session holds the run now ("nobody") */
  holder?: string | null;
}): FrameView {
  const { rb, state, ui, width } = v;
  const drift = !!state.drift && !state.drift.acknowledgedAt;
  // gates and sign-off belong to phases, not to rollback procedures or diagnostics
  const inPhase = ui.screen !== 'steps' || parseScope(ui.scope ?? '').kind === 'phase';
  const inRollback = ui.screen === 'steps' && parseScope(ui.scope ?? '').kind === 'rollback';
  const rollbacks = rollbacksInProgress(rb, state);
  const screenKeys = (SCREEN_KEYS[ui.screen] ?? []).filter(
    ([k]) =>
      (k !== 'a' ||
        (ui.screen === 'start' ? drift : rollbacks.length > 0 && (inRollback || ui.screen === 'rollback'))) &&
      ((k !== 'o' && k !== 'S' && k !== 'r') || inPhase),
  );
  // in priority order: what does not fit is left out whole (? help lists every key), never cut
  const hints = [
    '? help',
    ...screenKeys.map(([k, d]) => `${k} ${d.split(' ')[0].replace(/:$/, '')}`),
    'q quit',
    'Esc back',
    ui.screen === 'start' ? '' : 'R rollback',
  ].filter(Boolean);
  const rehearsal = rehearsalLabel(state.rehearsal);
  const down = !!v.availability && v.availability !== 'up';
  // the run's state (rehearsal, availability) and the operator stay whole: the title gives way first
  // a follower's "following NAME" is what it must read: its own name gives way first
  const budget = Math.max(12, Math.floor(width / 2));
  const following = v.following ? `READ-ONLY, following${followed(v.holder)}` : '';
  const mine = following ? `${v.operator} · ${following}` : v.operator;
  const operator = truncate(mine.length > budget && following ? following : mine, budget);
  const room = width - operator.length - 2 - (rehearsal ? rehearsal.length + 1 : 0) - (v.availability ? 7 : 0);
  return {
    // the environment is read before the title: a production run never looks like a staging one
    title: truncate(`Waymark · ${state.environment ? `${state.environment.toUpperCase()} · ` : ''}${rb.title}`, room),
    operator,
    rehearsal,
    availability: v.availability
      ? { up: !down, alert: down ? truncate(`⚠ ${v.availability}`, width) : undefined }
      : undefined,
    message: ui.message,
    hints: fitHints(hints, width),
    rollback: rollbacks.length
      ? `↩ ROLLBACK IN PROGRESS: ${inProgressText(rollbacks)} — finish it, or abandon it with a reason ` +
        '(a, on its screen)'
      : undefined,
  };
}

function inProgressText(rollbacks: ReturnType<typeof rollbacksInProgress>): string {
  return rollbacks.map((r) => `"${r.title}", ${r.done} of ${r.total} steps done`).join('; ');
}

/** The rows the frame takes besides the screen itself beyond the fixed ones: a rollback line, wrapped. */
export function frameExtraRows(f: FrameView, width: number): number {
  return f.rollback ? Math.ceil(f.rollback.length / Math.max(20, width)) : 0;
}

// Colours carry meaning only together with words and symbols, so NO_COLOR loses nothing.
import type { StepStatus } from '../phases/state.js';
import type { CheckStatus } from '../checks/types.js';

export const noColor = () => !!process.env.NO_COLOR;
export const color = (c: string | undefined): string | undefined => (noColor() ? undefined : c);

export const STEP_ICON: Record<StepStatus, string> = {
  pending: '·',
  running: '▶',
  passed: '✔',
  failed: '✗',
  skipped: '↷',
  overridden: '≈',
  interrupted: '!',
};
export const STEP_COLOR: Record<StepStatus, string | undefined> = {
  pending: undefined,
  running: 'cyan',
  passed: 'green',
  failed: 'red',
  skipped: 'yellow',
  overridden: 'yellow',
  interrupted: 'magenta',
};
export const CHECK_COLOR: Record<CheckStatus, string> = { pass: 'green', warn: 'yellow', fail: 'red', error: 'red' };
export const CHECK_WORD: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', error: 'ERROR' };

export function shortTime(iso?: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.toISOString().slice(5, 10)} ${d.toISOString().slice(11, 16)}Z`;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, Math.max(0, n - 1)) + '…' : s;
}

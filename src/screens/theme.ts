// Colours carry meaning only together with words and symbols, so NO_COLOR loses nothing.
import type { StepStatus } from '../state/run-state.js';
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

/** Lines of at most `width` characters: broken at spaces where it can, inside a word where it must. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/(?<= )/)) {
      if (line.length + word.length <= w) {
        line += word;
        continue;
      }
      if (line.trim()) out.push(line.trimEnd());
      let rest = word;
      while (rest.length > w) {
        out.push(rest.slice(0, w));
        rest = rest.slice(w);
      }
      line = rest;
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** Wrapped, each line after the first indented as the first is: a long line stays readable, never cut. */
export function wrapIndented(text: string, width: number): string[] {
  const indent = /^ */.exec(text)![0];
  return wrap(text.slice(indent.length), width - indent.length).map((l) => indent + l);
}

/** Key hints that fit one line: whole hints in priority order, never one cut in half. */
export function fitHints(hints: string[], width: number): string {
  const kept: string[] = [];
  let used = 0;
  for (const h of hints) {
    const add = (kept.length ? 3 : 0) + h.length;
    if (used + add > width) continue;
    kept.push(h);
    used += add;
  }
  return kept.join(' · ');
}

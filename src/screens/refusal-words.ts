// The rules' refusals as the TUI says them: where a refusal tells what to do, it names the key
// that does it (the key map's). Every other refusal reads as the plain mode words it.
import type { Runbook } from '../runbook/schema.js';
import { closedText, refusalText, type Refusal } from '../phases/wording.js';
import { waitWords } from '../phases/wait-words.js';

export function tuiRefusal(rb: Runbook, r: Refusal): string {
  switch (r.code) {
    case 'step-running':
      return `"${r.title}" is running; stop it first (x)`;
    case 'phase-closed':
      return closedText(r, 'r, or waymark reopen');
    case 'signoff-step':
      return 'a sign-off step is done by signing the phase off (S)';
    case 'wait-not-skipped':
      return (
        `a wait is not skipped: o passes "${r.title}" early as an override, with a reason ` +
        `(${waitWords(rb, r.wait).short})`
      );
    case 'wait-due':
      return `"${r.title}" is due: Enter passes it, no override needed`;
    default:
      return refusalText(rb, r);
  }
}

/** A refused outcome, as the TUI says it. */
export function tuiError(rb: Runbook, r: { error: string; refusal?: Refusal }): string {
  return r.refusal ? tuiRefusal(rb, r.refusal) : r.error;
}

// The plain wording of the rules' facts, for the plain mode and the commands, which name no key:
// why an action is refused, and a phase's sign-off history. The rules (rules.ts) return facts;
// the TUI words the few refusals that say what to press (screens/refusal-words.ts) and takes the
// rest from here.
import type { Runbook } from '../runbook/schema.js';
import type { PhaseState } from '../state/run-state.js';
import type { WaitFacts } from './lookups.js';
import { waitWords } from './wait-words.js';

export interface SignoffBlock {
  /** what stands in the way: the screen runs the gate checks itself when only they do */
  kind: 'unknown' | 'closed' | 'blocked' | 'running' | 'steps' | 'gate';
  why: string;
}

/** Why the rules refuse an action, as facts: a code and what it is about; each front end words it. */
export type Refusal =
  | { code: 'unknown-step'; scope: string; stepId: string }
  | { code: 'unknown-phase'; phaseId: string }
  | { code: 'unknown-procedure'; procedureId: string }
  | { code: 'step-running'; title: string }
  | { code: 'not-elsewhere'; title: string }
  | { code: 'running-elsewhere'; title: string; host: string; pid: number }
  | { code: 'drift-unacknowledged' }
  | { code: 'phase-closed'; title: string; by?: string; at?: string }
  | { code: 'phase-blocked'; title: string; blocker: string }
  | { code: 'out-of-order'; before: string }
  | { code: 'signoff-step' }
  | { code: 'signoff-outside-phase' }
  | { code: 'wait-forbidden-early'; title: string; wait: WaitFacts; skip: boolean }
  | { code: 'wait-not-skipped'; title: string; wait: WaitFacts }
  | { code: 'not-a-wait'; title: string }
  | { code: 'wait-already-passed'; title: string }
  | { code: 'wait-due'; title: string }
  | { code: 'wait-counting'; title: string; wait: WaitFacts }
  | { code: 'wait-done'; title: string; said: string }
  | { code: 'never-rerun'; title: string; said: string }
  /** a step uses a value an earlier step has not captured (yet) */
  | { code: 'value-not-captured'; title: string; ref: string; from: string; fromTitle: string }
  | { code: 'rollback-not-needed'; title: string }
  | { code: 'rollback-not-in-progress'; title: string }
  | { code: 'not-a-gate-check'; checkId: string; phase: string }
  | { code: 'gate-passed'; checkId: string }
  | { code: 'signoff-blocked'; block: SignoffBlock }
  | { code: 'approval-not-needed'; title: string }
  | { code: 'approval-not-signed-off'; title: string }
  | { code: 'approval-twice'; by: string; title: string; at: string }
  | { code: 'approval-by-signer'; by: string; title: string }
  | { code: 'approval-by-operator'; by: string; title: string }
  | { code: 'approvals-complete'; title: string; approvals: number }
  | { code: 'reopen-not-signed-off'; title: string }
  | { code: 'reopen-later-first'; later: string };

export type RefusalCode = Refusal['code'];

/** "signed off by A at T1 · reopened by B at T2: reason · signed off again by C at T3" */
export function signoffHistoryLine(ps: PhaseState): string {
  const parts: string[] = [];
  let signed = 0;
  for (const h of ps.history ?? []) {
    if (h.kind === 'signed-off') parts.push(`signed off${signed++ ? ' again' : ''} by ${h.by} at ${h.at}`);
    else parts.push(`reopened by ${h.by} at ${h.at}: ${h.reason}`);
    for (const a of h.approvals ?? []) parts.push(`approved by ${a.by} at ${a.at} (key ${a.keyFingerprint})`);
  }
  if (!parts.length && ps.signedOffAt) parts.push(`signed off by ${ps.signedOffBy} at ${ps.signedOffAt}`);
  return parts.join(' · ');
}

/** The sentence for a phase that is closed, with what reopens it: `how` is the front end's way. */
export function closedText(r: Extract<Refusal, { code: 'phase-closed' }>, how: string): string {
  return (
    `"${r.title}" is signed off (by ${r.by} at ${r.at}); it is closed — reopen it (${how}) with a reason ` +
    'to change it'
  );
}

/** A refusal in words that name no key: for the plain mode and the commands. */
export function refusalText(rb: Runbook, r: Refusal): string {
  return stepRefusal(rb, r) ?? otherRefusal(r);
}

function stepRefusal(rb: Runbook, r: Refusal): string | undefined {
  switch (r.code) {
    case 'unknown-step':
      return `unknown step "${r.scope}/${r.stepId}"`;
    case 'unknown-phase':
      return `unknown phase "${r.phaseId}"`;
    case 'unknown-procedure':
      return `unknown rollback procedure "${r.procedureId}"`;
    case 'step-running':
      return `"${r.title}" is running; stop it first, or wait for it to end`;
    case 'not-elsewhere':
      return `"${r.title}" is not recorded as running on another host`;
    case 'running-elsewhere':
      return (
        `"${r.title}" may still be running on ${r.host} (process group ${r.pid}): confirm it has stopped there ` +
        'first, with how you know'
      );
    case 'drift-unacknowledged':
      return 'the runbook changed since this run began; review and acknowledge the changes first';
    case 'phase-closed':
      return closedText(r, 'waymark reopen');
    case 'phase-blocked':
      return `cannot start "${r.title}": ${r.blocker}`;
    case 'out-of-order':
      return `do "${r.before}" first (steps run in order)`;
    case 'signoff-step':
      return 'a sign-off step is done by signing the phase off';
    case 'signoff-outside-phase':
      return 'a sign-off step belongs in a phase';
    case 'wait-forbidden-early':
      return r.skip
        ? `"${r.title}" cannot be skipped or passed early (the runbook forbids it): ${waitWords(rb, r.wait).long}`
        : `"${r.title}" cannot be passed early (the runbook forbids it): ${waitWords(rb, r.wait).long}`;
    case 'wait-not-skipped':
      return (
        `a wait is not skipped: "${r.title}" is passed early as an override, with a reason ` +
        `(${waitWords(rb, r.wait).short})`
      );
    case 'not-a-wait':
      return `"${r.title}" is not a wait`;
    case 'wait-already-passed':
      return `"${r.title}" is already passed`;
    case 'wait-due':
      return `"${r.title}" is due: running it passes it, no override needed`;
    case 'wait-counting':
      return `"${r.title}" is ${waitWords(rb, r.wait).long}`;
    case 'wait-done':
      return `"${r.title}" ${r.said}: a wait is not run again`;
    case 'never-rerun':
      return (
        `"${r.title}" ${r.said} and is never run again (it is destructive or a point of no return; ` +
        'the runbook says rerun: never)'
      );
    case 'value-not-captured':
      return (
        `"${r.title}" uses ${r.ref}, which "${r.fromTitle}" (${r.from}) has not captured: run that step first ` +
        '(it records the value when it passes)'
      );
    case 'rollback-not-needed':
      return (
        `nothing in this run needs "${r.title}" yet: no phase it undoes has begun, so there is nothing to ` +
        'roll back'
      );
    default:
      return undefined;
  }
}

function otherRefusal(r: Refusal): string {
  switch (r.code) {
    case 'rollback-not-in-progress':
      return `the rollback "${r.title}" is not in progress: there is nothing to abandon`;
    case 'not-a-gate-check':
      return `"${r.checkId}" is not a gate check of ${r.phase}`;
    case 'gate-passed':
      return `gate check "${r.checkId}" has passed; nothing to override`;
    case 'signoff-blocked':
      return `cannot sign off: ${r.block.why}`;
    case 'approval-not-needed':
      return `"${r.title}" needs no approval: its sign-off is enough`;
    case 'approval-not-signed-off':
      return `"${r.title}" is not signed off yet: there is nothing to approve`;
    case 'approval-twice':
      return `${r.by} already approved "${r.title}" (at ${r.at}): one approval per person`;
    case 'approval-by-signer':
      return `${r.by} signed "${r.title}" off: an approval must come from someone else`;
    case 'approval-by-operator':
      return `${r.by} ran steps of "${r.title}": its approval must come from someone who did not`;
    case 'approvals-complete':
      return `"${r.title}" already has its ${r.approvals} signatures`;
    case 'reopen-not-signed-off':
      return `"${r.title}" is not signed off; there is nothing to reopen`;
    case 'reopen-later-first':
      return `"${r.later}" is signed off after it: reopen that first`;
    default:
      return r.code;
  }
}

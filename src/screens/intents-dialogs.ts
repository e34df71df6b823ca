// The intents that ask first (a reason, a statement, a typed word) and what their answer does.
import type { EngineEvent } from '../phases/engine.js';
import { can, openGates, parseScope, phaseState, signoffBlock, type RuleAction } from '../phases/rules.js';
import { type DialogPurpose } from './model.js';
import { tuiError, tuiRefusal } from './refusal-words.js';
import type { Ctx } from './intent-context.js';
import { findPhase } from '../phases/lookups.js';
import { stepKey } from '../runbook/step-key.js';
import { submitInput } from './intents-inputs.js';

/** Opens the reason dialog for an action the rules allow, or says why they do not. */
export function askWhy(
  c: Ctx,
  purpose: DialogPurpose,
  action: RuleAction,
  ids: { scope: string; stepId?: string; checkId?: string },
): void {
  const v = can(c.session.runbook, c.session.state, action, c.session.now());
  if (!v.ok) return c.store.say(tuiRefusal(c.session.runbook, v.refusal), 'error');
  const need = v.needs.find((n) => n.kind === 'reason');
  const label = need?.kind === 'reason' ? need.label : 'Why?';
  c.store.setUi({ ...c.store.snap.ui, dialog: { kind: 'reason', purpose, ...ids, label, text: '' } });
}

/** A: the operator approves the sign-off of the phase under the cursor (another person's). */
export async function approveSelected(c: Ctx): Promise<void> {
  const phase = c.session.runbook.phases[c.store.snap.ui.cursor.overview ?? 0];
  if (!phase) return;
  const r = await c.session.approve(phase.id);
  if (!r.ok) return c.store.say(`not approved: ${r.error}`, 'error');
  if (r.handedOver)
    return c.store.say(
      `approved "${phase.title}" with your key: the session that holds the run takes it in within 2 s`,
      'ok',
    );
  c.store.say(`approved "${phase.title}": ${r.given} of ${r.of} signatures`, 'ok');
}

/** r: reopen the signed-off phase under the cursor (overview) or on screen (steps). */
export function askReopen(c: Ctx): void {
  const ui = c.store.snap.ui;
  const rb = c.session.runbook;
  const phaseId = ui.screen === 'overview' ? rb.phases[ui.cursor.overview ?? 0]?.id : ui.scope;
  if (!phaseId || !rb.phases.some((p) => p.id === phaseId))
    return c.store.say('only phases are signed off and reopened', 'error');
  c.intents.askWhy('reopen', { type: 'reopen', phaseId }, { scope: phaseId });
}

export async function askSignoff(c: Ctx, gateRun = false): Promise<void> {
  const ui = c.store.snap.ui;
  const phaseId = ui.scope ?? '';
  const phase = findPhase(c.session.runbook, phaseId);
  if (!phase) return c.store.say('only phases are signed off', 'error');
  const block = signoffBlock(c.session.runbook, c.session.state, phaseId);
  if (block?.kind === 'gate' && !gateRun) {
    // gate checks that no step ran are run now, once, as the non-interactive mode does
    const open = openGates(c.session.runbook, c.session.state, phaseId);
    c.store.say(`running the gate checks first: ${open.map((g) => g.checkId).join(', ')}…`);
    await Promise.all(open.map((g) => c.runCheck(g.checkId, true)));
    return c.intents.askSignoff(true);
  }
  const v = can(c.session.runbook, c.session.state, { type: 'signoff', phaseId }, c.session.now());
  if (!v.ok) {
    const why = tuiRefusal(c.session.runbook, v.refusal);
    return c.store.say(block?.kind === 'gate' ? `${why} — o overrides a gate check with a reason` : why, 'error');
  }
  const need = v.needs.find((n) => n.kind === 'statement');
  c.store.setUi({ ...ui, dialog: { kind: 'signoff', phaseId, text: need?.kind === 'statement' ? need.text : '' } });
}

export function submit(c: Ctx): void {
  const ui = c.store.snap.ui;
  const d = ui.dialog;
  if (!d) return;
  if (d.kind === 'reason') {
    const reason = d.text;
    const event: EngineEvent = {
      override: { type: 'gate.override', phaseId: d.scope, checkId: d.checkId!, reason } as const,
      'pass-wait-early': { type: 'wait.override', scope: d.scope, stepId: d.stepId!, reason } as const,
      reopen: { type: 'phase.reopen', phaseId: d.scope, reason } as const,
      skip: { type: 'step.skip', scope: d.scope, stepId: d.stepId!, reason } as const,
      'mark-done': { type: 'step.mark-done', scope: d.scope, stepId: d.stepId!, reason } as const,
      'confirm-stopped': { type: 'step.confirm-stopped', scope: d.scope, stepId: d.stepId!, reason } as const,
      'abandon-rollback': { type: 'rollback.abandon', procedureId: parseScope(d.scope).id, reason } as const,
    }[d.purpose];
    const r = c.session.dispatch(event);
    if (!r.ok) return c.store.setUi({ ...ui, dialog: { ...d, error: tuiError(c.session.runbook, r) } });
    const text = {
      override: `gate check ${d.checkId} overridden`,
      'pass-wait-early': 'wait passed early (recorded as an override)',
      reopen: 'phase reopened: its sign-off is voided and kept in the record; it needs a new sign-off',
      skip: 'step skipped',
      'mark-done': 'step marked done',
      'confirm-stopped': 'recorded that it has stopped there: Enter re-runs it, d marks it done, s skips it',
      'abandon-rollback': 'rollback abandoned (recorded with your reason); its steps stay as they are',
    }[d.purpose];
    c.store.setUi({ ...c.store.snap.ui, dialog: undefined, message: { text, tone: 'ok' } });
    const stays = ['override', 'reopen', 'confirm-stopped', 'abandon-rollback'];
    if (!stays.includes(d.purpose)) c.intents.advance(d.scope);
    return;
  }
  if (d.kind === 'input') return submitInput(c, d);
  if (d.kind === 'pick-gate') {
    const checkId = d.options[d.cursor];
    return c.intents.askWhy(
      'override',
      { type: 'override-gate', phaseId: d.phaseId, checkId },
      { scope: d.phaseId, checkId },
    );
  }
  if (d.kind === 'signoff') {
    if (d.text.trim().length < 10)
      return c.store.setUi({
        ...ui,
        dialog: { ...d, error: 'write a statement of what you vouch for (10+ characters)' },
      });
    const r = c.session.dispatch({ type: 'phase.signoff', phaseId: d.phaseId, statement: d.text.trim() });
    if (!r.ok) return c.store.setUi({ ...ui, dialog: { ...d, error: tuiError(c.session.runbook, r) } });
    const phases = c.session.runbook.phases;
    const i = phases.findIndex((p) => p.id === d.phaseId);
    // the cursor stays on the signed phase so g writes its report; say how to go on
    const next = phases.slice(i + 1).find((p) => phaseState(c.session.state, p.id).status !== 'signed-off');
    const text =
      `${phases[i]?.title} signed off by ` +
      `${c.session.opts.operator}${c.writeReport ? ' — g writes its signed report' : ''}` +
      `${next ? `; ↓ Enter opens "${next.title}"` : ''}`;
    c.store.setUi({
      ...c.store.snap.ui,
      dialog: undefined,
      screen: 'overview',
      stack: ['start'],
      scopes: [],
      message: { text, tone: 'ok' },
    });
    return;
  }
  if (d.kind === 'confirm-word') {
    if (d.text.trim() !== d.word)
      return c.store.setUi({ ...ui, dialog: { ...d, error: `type ${d.word} exactly, or Esc to go back` } });
    c.store.setUi({ ...ui, dialog: undefined });
    if (d.purpose === 'stop') {
      c.session.stopLeftRunning(stepKey(d.scope, d.stepId));
      return c.store.say('stopping it (its whole process group); the step is marked interrupted once it has ended');
    }
    // the rules ask for the point of no return first, then a destructive step's word
    if (d.purpose === 'pnr') return c.intents.startSelected({ pnrConfirmed: true, rerun: d.rerun });
    return c.intents.startSelected({ confirmWord: d.word, pnrConfirmed: true, rerun: d.rerun });
  }
}

export async function report(c: Ctx): Promise<void> {
  const ui = c.store.snap.ui;
  const ph = c.session.runbook.phases[ui.cursor.overview ?? 0];
  if (!ph) return;
  if (phaseState(c.session.state, ph.id).status !== 'signed-off')
    return c.store.say(`"${ph.title}" is not signed off yet; reports are written for signed-off phases`, 'error');
  if (!c.writeReport) return c.store.say('reports are not available here', 'error');
  try {
    const { file: path, untrusted } = await c.writeReport(ph.id);
    c.store.setUi({
      ...c.store.snap.ui,
      dialog: {
        kind: 'message',
        title: `Signed report of ${ph.title}${untrusted.length ? ' — UNTRUSTED SIGN-OFF' : ''}`,
        lines: [
          path,
          ...untrusted.map((u) => `UNTRUSTED SIGN-OFF: ${u}`),
          '',
          'Check it with: waymark verify <file> --allowed-signers <file>',
          '(waymark key prints your line for that file)',
        ],
      },
    });
  } catch (e) {
    c.store.say(`report failed: ${(e as Error).message}`, 'error');
  }
}

// What Enter and the cursor do on each screen: open a phase, a procedure, a diagnostic; resume.
import type { Step } from '../runbook/schema.js';
import { nextStep, scopeSteps } from '../phases/rules.js';
import { orderedProcedures } from '../phases/rollback-plan.js';
import { pushed, type UiState } from './model.js';
import { resumePoint } from './resume-point.js';
import type { Ctx } from './intent-context.js';

export function listLength(c: Ctx, ui: UiState = c.store.snap.ui): number {
  const rb = c.session.runbook;
  switch (ui.screen) {
    case 'overview':
      return rb.phases.length;
    case 'steps':
      return scopeSteps(rb, ui.scope ?? '')?.length ?? 0;
    case 'checks':
      return Object.keys(rb.checks).length;
    case 'rollback':
      return rb.rollback.length;
    case 'troubleshooting':
      return rb.troubleshooting.length;
    case 'monitor':
      return rb.monitoring?.checks.length ?? 0;
    case 'plan':
    case 'step':
    case 'success':
      // these scroll by line: their view says how many there are (never rebuilt for a key press)
      return c.store.snap.view?.total ?? 0;
    default:
      return 0;
  }
}

export function selectedStep(c: Ctx): Step | undefined {
  const ui = c.store.snap.ui;
  return scopeSteps(c.session.runbook, ui.scope ?? '')?.[ui.cursor.steps ?? 0];
}

export function activate(c: Ctx): void {
  const ui = c.store.snap.ui;
  const rb = c.session.runbook;
  const st = c.session.state;
  switch (ui.screen) {
    case 'start': {
      // the changes must be read and acknowledged on purpose, not skipped with Enter
      if (st.drift && !st.drift.acknowledgedAt)
        return c.store.say('read the changes above, then press a to acknowledge them', 'error');
      const rp = resumePoint(c.session.runbook, c.session.state);
      if (!rp)
        return c.store.setUi({
          ...ui,
          screen: 'overview',
          stack: ['start'],
          scopes: [],
          message: { text: 'every phase is signed off', tone: 'ok' },
        });
      return c.store.setUi({
        ...ui,
        screen: 'steps',
        scope: rp.scope,
        stack: ['start', 'overview'],
        scopes: [],
        cursor: {
          ...ui.cursor,
          steps: rp.index,
          overview: Math.max(
            0,
            rb.phases.findIndex((p) => p.id === rp.scope),
          ),
        },
        message: undefined,
      });
    }
    case 'overview': {
      const ph = rb.phases[ui.cursor.overview ?? 0];
      if (!ph) return;
      const nx = nextStep(rb, st, ph.id);
      return c.intents.openSteps(ph.id, nx ? ph.steps.indexOf(nx) : 0);
    }
    case 'rollback': {
      const proc = orderedProcedures(rb, st)[ui.cursor.rollback ?? 0];
      if (proc) c.intents.openSteps(`rollback:${proc.id}`, 0);
      return;
    }
    case 'troubleshooting': {
      const t = rb.troubleshooting[ui.cursor.troubleshooting ?? 0];
      if (t) c.intents.openSteps(`troubleshooting:${t.id}`, 0);
      return;
    }
    case 'checks':
      return void c.rerunSelected();
    case 'steps':
      return c.intents.startSelected();
  }
}

/** Opens a scope's steps on top of the screen that is showing, at a step. */
export function openSteps(c: Ctx, scope: string, index: number): void {
  const ui = c.store.snap.ui;
  c.store.setUi({
    ...ui,
    ...pushed(ui),
    screen: 'steps',
    scope,
    cursor: { ...ui.cursor, steps: index },
    message: undefined,
  });
}

// The TUI's behaviour, outside React: it turns keys into engine events through the
// session, keeps what the screens need in one immutable snapshot, and tells React
// when it changed. Screens only render the snapshot.
import type { Session } from '../phases/session.js';
import type { RunState } from '../phases/state.js';
import type { CheckResult } from '../checks/types.js';
import type { Step } from '../runbook/schema.js';
import { scopeSteps, findStep, stepState, gateStatus, signoffBlocker, nextStep, currentPhase, phaseState } from '../phases/engine.js';
import { DONE } from '../phases/state.js';
import { parseDuration } from '../runbook/duration.js';
import { initialUi, keyToAction, navigate, type Action, type KeyInfo, type UiState } from './model.js';
import { orderedProcedures } from '../phases/rollback-plan.js';
import { buildPlan, formatPlan } from '../phases/plan.js';

export interface PrintedLine {
  id: number;
  text: string;
  tone?: 'out' | 'err' | 'info';
}

export interface Snapshot {
  ui: UiState;
  state: RunState;
  /** output lines printed once above the live frame (Ink Static) */
  printed: PrintedLine[];
  live?: { key: string; title: string; startedAt: number; lines: string[] };
  /** results of checks run from the panels and the monitor */
  results: Record<string, CheckResult>;
  runningChecks: string[];
  exited?: number;
  version: number;
}

export interface ControllerOptions {
  onExit: (code: number) => void;
  writeReport?: (phaseId: string) => Promise<string>;
}

const LIVE_LINES = 6;

export class TuiController {
  private snap: Snapshot;
  private listeners = new Set<() => void>();
  private lineId = 0;
  private timer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    readonly session: Session,
    private readonly opts: ControllerOptions,
  ) {
    this.snap = { ui: initialUi(), state: session.state, printed: [], results: {}, runningChecks: [], version: 0 };
    session.subscribe((c) => {
      if (c.line) this.onLine(c.line.key, c.line.text, c.line.stream);
      else this.update({ state: c.state, live: this.liveAfter(c.state) });
    });
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): Snapshot => this.snap;

  private update(patch: Partial<Snapshot>): void {
    this.snap = { ...this.snap, ...patch, version: this.snap.version + 1 };
    for (const fn of this.listeners) fn();
  }

  private setUi(ui: UiState): void {
    this.update({ ui });
    this.syncTimer();
  }

  private say(text: string, tone: 'info' | 'error' | 'ok' = 'info'): void {
    this.setUi({ ...this.snap.ui, message: { text, tone } });
  }

  private print(text: string, tone: PrintedLine['tone'] = 'info'): void {
    this.update({ printed: [...this.snap.printed, { id: ++this.lineId, text, tone }] });
  }

  private onLine(key: string, text: string, stream: 'stdout' | 'stderr'): void {
    const live = this.snap.live && this.snap.live.key === key ? { ...this.snap.live, lines: [...this.snap.live.lines, text].slice(-LIVE_LINES) } : this.snap.live;
    this.snap = { ...this.snap, live, printed: [...this.snap.printed, { id: ++this.lineId, text: `  ${stream === 'stderr' ? '!' : '│'} ${text}`, tone: stream === 'stderr' ? 'err' : 'out' }], version: this.snap.version + 1 };
    for (const fn of this.listeners) fn();
  }

  /** Keeps the live panel only while its step runs; prints the result line when it ends. */
  private liveAfter(state: RunState): Snapshot['live'] {
    const live = this.snap.live;
    if (!live) return undefined;
    const st = state.steps[live.key];
    if (st?.status === 'running') return live;
    const secs = ((Date.now() - live.startedAt) / 1000).toFixed(1);
    const code = st?.exitCode !== undefined && st.exitCode !== null ? `, exit ${st.exitCode}` : '';
    const line = `${live.title}: ${st?.status ?? 'finished'}${code} (${secs} s)${st?.message && st.status !== 'passed' ? ` — ${st.message}` : ''}`;
    this.snap.printed = [...this.snap.printed, { id: ++this.lineId, text: `■ ${line}`, tone: 'info' }];
    this.snap.ui = { ...this.snap.ui, message: { text: line, tone: st?.status === 'passed' ? 'ok' : 'error' } };
    return undefined;
  }

  // ---- lists shown by each screen (the controller needs them for cursors) ----

  listLength(ui: UiState = this.snap.ui): number {
    const rb = this.session.runbook;
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
        // the plan screen scrolls by line
        return formatPlan(buildPlan(rb, this.session.state, this.session.lr.redactor, this.session.now())).length;
      default:
        return 0;
    }
  }

  selectedStep(): Step | undefined {
    const ui = this.snap.ui;
    return scopeSteps(this.session.runbook, ui.scope ?? '')?.[ui.cursor.steps ?? 0];
  }

  /** Where to resume: the step the operator was on, else the first one not done. */
  resumePoint(): { scope: string; index: number } | undefined {
    const rb = this.session.runbook;
    const st = this.session.state;
    const interrupted = Object.entries(st.steps).find(([, s]) => s.status === 'interrupted' || s.status === 'running');
    const key = interrupted?.[0] ?? (st.cursor ? `${st.cursor.scope}/${st.cursor.stepId}` : undefined);
    if (key) {
      const i = key.lastIndexOf('/');
      const scope = key.slice(0, i);
      const steps = scopeSteps(rb, scope);
      const stepIdx = steps?.findIndex((s) => s.id === key.slice(i + 1)) ?? -1;
      if (steps && stepIdx >= 0) {
        const here = stepState(st, scope, steps[stepIdx].id);
        // a finished step moves the resume point on to the next open one in its phase
        if (DONE.has(here.status)) {
          const nx = nextStep(rb, st, scope);
          if (nx) return { scope, index: steps.indexOf(nx) };
        } else return { scope, index: stepIdx };
      }
    }
    const ph = currentPhase(rb, st);
    if (!ph) return undefined;
    const nx = nextStep(rb, st, ph.id);
    return { scope: ph.id, index: nx ? ph.steps.indexOf(nx) : ph.steps.length - 1 };
  }

  // ---- keys ----

  handleKey = (input: string, key: KeyInfo): void => {
    const action = keyToAction(this.snap.ui, input, key);
    void this.perform(action);
  };

  async perform(action: Action): Promise<void> {
    const ui = this.snap.ui;
    switch (action.type) {
      case 'none':
        return;
      case 'open':
        if (action.screen === 'rollback' && ui.screen === 'steps' && ui.scope?.startsWith('rollback:')) return;
        this.setUi(navigate({ ...ui, dialog: undefined }, action, 0));
        if (action.screen === 'monitor') void this.refreshMonitor();
        return;
      case 'back':
        if (ui.screen === 'start') return;
        if (ui.stack.length === 0 || (ui.stack.length === 1 && ui.stack[0] === 'start')) return this.setUi({ ...ui, screen: 'overview', stack: ['start'], message: undefined });
        return this.setUi(navigate(ui, action, 0));
      case 'move':
      case 'help':
      case 'close-dialog':
      case 'text':
      case 'backspace':
      case 'toggle-watch':
        return this.setUi(navigate(ui, action, this.listLength()));
      case 'activate':
        return this.activate();
      case 'ack-drift': {
        if (!this.session.state.drift || this.session.state.drift.acknowledgedAt) return this.say('there is no runbook change to acknowledge');
        const r = this.session.dispatch({ type: 'drift.ack' });
        return r.ok ? this.say('runbook changes acknowledged (recorded in the audit log); Enter resumes', 'ok') : this.say(r.error, 'error');
      }
      case 'submit':
        return this.submit();
      case 'skip':
      case 'mark-done':
        return this.askReason(action.type);
      case 'override':
        return this.askOverride();
      case 'signoff':
        return void this.askSignoff();
      case 'cancel-step':
        if (!this.session.isBusy()) return this.say('nothing is running');
        this.session.cancel();
        return this.say('stopping the running step (its whole process tree)…');
      case 'rerun':
        return this.rerunSelected();
      case 'report':
        return this.report();
      case 'quit':
        return this.setUi({ ...ui, dialog: { kind: 'quit', running: this.session.isBusy() } });
      case 'quit-now':
        return this.exit(0);
      case 'interrupt':
        if (this.session.isBusy()) this.print('Ctrl-C: stopping the running step and saving the state…');
        return this.exit(130);
    }
  }

  private activate(): void {
    const ui = this.snap.ui;
    const rb = this.session.runbook;
    const st = this.session.state;
    switch (ui.screen) {
      case 'start': {
        // the changes must be read and acknowledged on purpose, not skipped with Enter
        if (st.drift && !st.drift.acknowledgedAt) return this.say('read the changes above, then press a to acknowledge them', 'error');
        const rp = this.resumePoint();
        if (!rp) return this.setUi({ ...ui, screen: 'overview', stack: ['start'], message: { text: 'every phase is signed off', tone: 'ok' } });
        return this.setUi({ ...ui, screen: 'steps', scope: rp.scope, stack: ['start', 'overview'], cursor: { ...ui.cursor, steps: rp.index, overview: Math.max(0, rb.phases.findIndex((p) => p.id === rp.scope)) }, message: undefined });
      }
      case 'overview': {
        const ph = rb.phases[ui.cursor.overview ?? 0];
        if (!ph) return;
        const nx = nextStep(rb, st, ph.id);
        return this.setUi({ ...ui, stack: [...ui.stack, 'overview'], screen: 'steps', scope: ph.id, cursor: { ...ui.cursor, steps: nx ? ph.steps.indexOf(nx) : 0 }, message: undefined });
      }
      case 'rollback': {
        const proc = orderedProcedures(rb, st)[ui.cursor.rollback ?? 0];
        if (proc) this.setUi({ ...ui, stack: [...ui.stack, 'rollback'], screen: 'steps', scope: `rollback:${proc.id}`, cursor: { ...ui.cursor, steps: 0 }, message: undefined });
        return;
      }
      case 'troubleshooting': {
        const t = rb.troubleshooting[ui.cursor.troubleshooting ?? 0];
        if (t) this.setUi({ ...ui, stack: [...ui.stack, 'troubleshooting'], screen: 'steps', scope: `troubleshooting:${t.id}`, cursor: { ...ui.cursor, steps: 0 }, message: undefined });
        return;
      }
      case 'checks':
        return void this.rerunSelected();
      case 'steps':
        return this.startSelected();
    }
  }

  private startSelected(extra: { confirmWord?: string; pnrConfirmed?: boolean } = {}): void {
    const ui = this.snap.ui;
    const step = this.selectedStep();
    const scope = ui.scope ?? '';
    if (!step) return;
    const st = stepState(this.session.state, scope, step.id);
    if (st.status === 'running') return this.say(`"${step.title}" is running — x stops it`);
    if (step.kind === 'signoff') return void this.askSignoff();
    const phase = this.session.runbook.phases.find((p) => p.id === scope);
    const pnr = step.point_of_no_return ?? (phase && phase.steps[0]?.id === step.id ? phase.point_of_no_return : undefined);
    if (pnr && !extra.pnrConfirmed)
      return this.setUi({ ...ui, dialog: { kind: 'confirm-word', purpose: 'pnr', scope, stepId: step.id, word: step.id, prompt: `POINT OF NO RETURN: ${pnr}`, text: '' } });
    const proc = scope.startsWith('rollback:') ? this.session.runbook.rollback.find((r) => `rollback:${r.id}` === scope) : undefined;
    // a destructive procedure asks once, when it is entered; a destructive step asks every time
    const procEntered = !!proc && (scopeSteps(this.session.runbook, scope) ?? []).some((s) => stepState(this.session.state, scope, s.id).status !== 'pending');
    if ((step.destructive || (proc?.destructive && !procEntered)) && extra.confirmWord === undefined) {
      const word = step.confirm_word ?? proc?.confirm_word ?? 'CONFIRM';
      return this.setUi({ ...ui, dialog: { kind: 'confirm-word', purpose: 'destructive', scope, stepId: step.id, word, prompt: `"${step.title}" is destructive.`, text: '' } });
    }
    if (step.kind === 'manual') {
      const r = this.session.dispatch({ type: 'step.confirm', scope, stepId: step.id });
      if (!r.ok) return this.say(r.error, 'error');
      this.say(`confirmed: ${step.title}`, 'ok');
      return this.advance(scope);
    }
    const started = Date.now();
    const r = this.session.dispatch({ type: 'step.start', scope, stepId: step.id, confirmWord: extra.confirmWord ?? (step.destructive ? step.confirm_word ?? proc?.confirm_word ?? 'CONFIRM' : undefined), pnrConfirmed: extra.pnrConfirmed });
    if (!r.ok) return this.say(r.error, 'error');
    if (r.effects.length) {
      const cmd = step.kind === 'command' ? `$ ${this.session.commandText(step)}` : step.kind === 'check' ? `check ${step.check}` : `edit ${step.kind === 'edit-env' ? step.file : ''}`;
      this.snap = { ...this.snap, live: { key: `${scope}/${step.id}`, title: step.title, startedAt: started, lines: [] } };
      this.print(`▶ ${step.title}`);
      this.print(`  ${cmd}`);
      this.say(`running: ${step.title}`);
      void this.session.idle().then(() => {
        const after = stepState(this.session.state, scope, step.id);
        if (after.status === 'passed') this.advance(scope);
      });
    } else {
      this.say(`${step.title}: ${stepState(this.session.state, scope, step.id).status}`, 'ok');
      this.advance(scope);
    }
  }

  /** After a step is done, the cursor moves to the next open step of the same list. */
  private advance(scope: string): void {
    const ui = this.snap.ui;
    if (ui.screen !== 'steps' || ui.scope !== scope) return;
    const steps = scopeSteps(this.session.runbook, scope) ?? [];
    const cur = ui.cursor.steps ?? 0;
    const next = steps.findIndex((s, i) => i > cur && !DONE.has(stepState(this.session.state, scope, s.id).status));
    if (next >= 0) this.setUi({ ...this.snap.ui, cursor: { ...this.snap.ui.cursor, steps: next } });
  }

  private askReason(purpose: 'skip' | 'mark-done'): void {
    const ui = this.snap.ui;
    const step = this.selectedStep();
    if (!step) return;
    const label = purpose === 'skip' ? `Skip "${step.title}" — why?` : `Mark "${step.title}" done without running it — why?`;
    this.setUi({ ...ui, dialog: { kind: 'reason', purpose, scope: ui.scope ?? '', stepId: step.id, label, text: '' } });
  }

  private askOverride(): void {
    const ui = this.snap.ui;
    const phaseId = ui.scope ?? '';
    if (!this.session.runbook.phases.some((p) => p.id === phaseId)) return this.say('gates belong to phases; open a phase first', 'error');
    const open = gateStatus(this.session.runbook, this.session.state, phaseId).filter((g) => g.status === 'failed' || g.status === 'not-run');
    if (!open.length) return this.say('every gate check of this phase has passed; nothing to override', 'ok');
    if (open.length === 1) return this.setUi({ ...ui, dialog: { kind: 'reason', purpose: 'override', scope: phaseId, checkId: open[0].checkId, label: `Override gate check "${open[0].checkId}" (${open[0].status}) — why is it safe to go on?`, text: '' } });
    this.setUi({ ...ui, dialog: { kind: 'pick-gate', phaseId, options: open.map((g) => g.checkId), cursor: 0 } });
  }

  private async askSignoff(gateRun = false): Promise<void> {
    const ui = this.snap.ui;
    const phaseId = ui.scope ?? '';
    const phase = this.session.runbook.phases.find((p) => p.id === phaseId);
    if (!phase) return this.say('only phases are signed off', 'error');
    const blocked = signoffBlocker(this.session.runbook, this.session.state, phaseId);
    const open = gateStatus(this.session.runbook, this.session.state, phaseId).filter((g) => g.status === 'not-run' || g.status === 'failed');
    const stepsOpen = blocked && !open.length;
    if (blocked && open.length && !gateRun && !/steps not done/.test(blocked)) {
      // gate checks that no step ran are run now, once, as the non-interactive mode does
      this.say(`running the gate checks first: ${open.map((g) => g.checkId).join(', ')}…`);
      await Promise.all(open.map((g) => this.runCheck(g.checkId, true)));
      return this.askSignoff(true);
    }
    if (blocked) return this.say(`cannot sign off yet: ${blocked}${stepsOpen ? '' : ' — o overrides a gate check with a reason'}`, 'error');
    const so = phase.steps.find((s) => s.kind === 'signoff');
    const statement = so?.kind === 'signoff' && so.statement ? so.statement : `I confirm "${phase.title}" is complete.`;
    this.setUi({ ...ui, dialog: { kind: 'signoff', phaseId, text: statement } });
  }

  private submit(): void {
    const ui = this.snap.ui;
    const d = ui.dialog;
    if (!d) return;
    if (d.kind === 'reason') {
      const r =
        d.purpose === 'override'
          ? this.session.dispatch({ type: 'gate.override', phaseId: d.scope, checkId: d.checkId!, reason: d.text })
          : this.session.dispatch({ type: d.purpose === 'skip' ? 'step.skip' : 'step.mark-done', scope: d.scope, stepId: d.stepId!, reason: d.text });
      if (!r.ok) return this.setUi({ ...ui, dialog: { ...d, error: r.error } });
      this.setUi({ ...this.snap.ui, dialog: undefined, message: { text: d.purpose === 'override' ? `gate check ${d.checkId} overridden` : `step ${d.purpose === 'skip' ? 'skipped' : 'marked done'}`, tone: 'ok' } });
      if (d.purpose !== 'override') this.advance(d.scope);
      return;
    }
    if (d.kind === 'pick-gate') {
      const checkId = d.options[d.cursor];
      return this.setUi({ ...ui, dialog: { kind: 'reason', purpose: 'override', scope: d.phaseId, checkId, label: `Override gate check "${checkId}" — why is it safe to go on?`, text: '' } });
    }
    if (d.kind === 'signoff') {
      if (d.text.trim().length < 10) return this.setUi({ ...ui, dialog: { ...d, error: 'write a statement of what you vouch for (10+ characters)' } });
      const r = this.session.dispatch({ type: 'phase.signoff', phaseId: d.phaseId, statement: d.text.trim() });
      if (!r.ok) return this.setUi({ ...ui, dialog: { ...d, error: r.error } });
      const phases = this.session.runbook.phases;
      const i = phases.findIndex((p) => p.id === d.phaseId);
      // the cursor stays on the signed phase so g writes its report; say how to go on
      const next = phases.slice(i + 1).find((p) => phaseState(this.session.state, p.id).status !== 'signed-off');
      const text = `${phases[i]?.title} signed off by ${this.session.opts.operator}${this.opts.writeReport ? ' — g writes its signed report' : ''}${next ? `; ↓ Enter opens "${next.title}"` : ''}`;
      this.setUi({ ...this.snap.ui, dialog: undefined, screen: 'overview', stack: ['start'], message: { text, tone: 'ok' } });
      return;
    }
    if (d.kind === 'confirm-word') {
      if (d.text.trim() !== d.word) return this.setUi({ ...ui, dialog: { ...d, error: `type ${d.word} exactly, or Esc to go back` } });
      this.setUi({ ...ui, dialog: undefined });
      const step = findStep(this.session.runbook, d.scope, d.stepId);
      if (d.purpose === 'pnr') {
        // a step that is both past the point of no return and destructive asks twice
        if (step?.destructive) return this.startSelected({ pnrConfirmed: true });
        return this.startSelected({ pnrConfirmed: true, confirmWord: undefined });
      }
      return this.startSelected({ confirmWord: d.word, pnrConfirmed: true });
    }
  }

  private async rerunSelected(): Promise<void> {
    const ui = this.snap.ui;
    const rb = this.session.runbook;
    if (ui.screen === 'monitor') return this.refreshMonitor();
    const id = Object.keys(rb.checks)[ui.cursor.checks ?? 0];
    if (id) await this.runCheck(id, true);
  }

  private async runCheck(id: string, record: boolean): Promise<void> {
    if (this.snap.runningChecks.includes(id) || this.closing) return;
    this.update({ runningChecks: [...this.snap.runningChecks, id] });
    try {
      const r = await this.session.runCheck(id, { record });
      this.update({ results: { ...this.snap.results, [id]: r } });
    } finally {
      this.update({ runningChecks: this.snap.runningChecks.filter((x) => x !== id) });
    }
  }

  private async refreshMonitor(): Promise<void> {
    const ids = this.session.runbook.monitoring?.checks ?? [];
    // monitoring is observation: results are shown, not written into the run
    await Promise.all(ids.map((id) => this.runCheck(id, false)));
  }

  private syncTimer(): void {
    const ui = this.snap.ui;
    const wanted = (ui.screen === 'checks' && ui.watch) || ui.screen === 'monitor';
    if (wanted && !this.timer) {
      const ms = parseDuration(this.session.runbook.monitoring?.interval ?? '30s') ?? 30_000;
      this.timer = setInterval(() => {
        if (this.snap.ui.screen === 'monitor') void this.refreshMonitor();
        else if (this.snap.ui.watch) void this.rerunSelected();
      }, ms);
      this.timer.unref?.();
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async report(): Promise<void> {
    const ui = this.snap.ui;
    const ph = this.session.runbook.phases[ui.cursor.overview ?? 0];
    if (!ph) return;
    if (phaseState(this.session.state, ph.id).status !== 'signed-off') return this.say(`"${ph.title}" is not signed off yet; reports are written for signed-off phases`, 'error');
    if (!this.opts.writeReport) return this.say('reports are not available here', 'error');
    try {
      const path = await this.opts.writeReport(ph.id);
      this.setUi({ ...this.snap.ui, dialog: { kind: 'message', title: `Signed report of ${ph.title}`, lines: [path, '', 'Check it any time with: waymark verify <file>'] } });
    } catch (e) {
      this.say(`report failed: ${(e as Error).message}`, 'error');
    }
  }

  async exit(code: number, why?: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    this.session.cancel(undefined, why);
    await this.session.idle().catch(() => {});
    this.update({ exited: code });
    this.opts.onExit(code);
  }
}

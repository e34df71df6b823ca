// The TUI's behaviour, outside React: it turns keys into engine events through the
// session, keeps what the screens need in one immutable snapshot, and tells React
// when it changed. Screens only render the snapshot.
import type { Session } from '../phases/session.js';
import type { RunState } from '../state/run-state.js';
import type { CheckResult } from '../checks/types.js';
import type { Step } from '../runbook/schema.js';
import {
  parseScope,
  scopeSteps,
  stepState,
  signoffBlock,
  nextStep,
  currentPhase,
  phaseState,
  can,
  openGates,
  type RuleAction,
} from '../phases/rules.js';
import type { EngineEvent } from '../phases/engine.js';
import { DONE } from '../state/run-state.js';
import { parseDuration } from '../runbook/duration.js';
import { keyToAction } from './key-map.js';
import { tuiError, tuiRefusal } from './refusal-words.js';
import { initialUi, navigate, pushed, type Action, type DialogPurpose, type KeyInfo, type UiState } from './model.js';
import { orderedProcedures } from '../phases/rollback-plan.js';
import { stillRunsText } from '../phases/left-running.js';
import { probeView, type ProbeView } from './probe-view.js';
import type { SuccessRow } from '../report/build.js';
import { envDiffOf } from './step-view.js';
import { LIST_VIEWS, checksView, monitorView, type ChecksView, type ListView } from './list-views.js';
import { frameExtraRows, frameView, type FrameView } from './frame-view.js';
import { stepsView, type StepsView } from './steps-view.js';
import { signoffView } from './dialog-view.js';
import type { DialogExtra } from './Dialogs.js';

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
  /** what the availability probes see now: "up", or "DOWN for 2.3 s" */
  availability?: string;
  /** each probe's recent seconds and totals, for the monitor */
  probes?: ProbeView[];
  /** the success criteria as they stood at `at` (worked out when their screen opens and as the run moves) */
  success?: { rows: SuccessRow[]; at: string };
  /** what a list screen shows (phases, rollback, troubleshooting, plan), worked out for the terminal's size */
  view?: ListView;
  /** the checks panel's view */
  checksView?: ChecksView;
  /** the frame around every screen: header, message, key hints */
  frame: FrameView;
  /** the steps screen's view */
  stepsView?: StepsView;
  /** what an open dialog shows besides its own state */
  dialogExtra: DialogExtra;
}

/** Seconds of the recent past the monitor's timeline shows. */
export const TIMELINE_SECONDS = 60;

export interface ControllerOptions {
  onExit: (code: number) => void;
  writeReport?: (phaseId: string) => Promise<{ file: string; untrusted: string[] }>;
}

/** output lines of a running step kept for its view (the view shows the newest that fit) */
const LIVE_LINES = 40;

export class TuiController {
  private snap: Snapshot;
  private listeners = new Set<() => void>();
  private lineId = 0;
  private timer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    readonly session: Session,
    private readonly opts: ControllerOptions,
  ) {
    const first = { ui: initialUi(), state: session.state, printed: [], results: {}, runningChecks: [], version: 0 };
    this.snap = { ...first, frame: this.frameOf(first), dialogExtra: this.dialogExtra(first) };
    // every view is there from the first frame, before the App says its size
    this.snap = { ...this.snap, ...this.views(this.snap) };
    if (session.probes.length) {
      // the header says live whether the system answers: a restart's seconds show as they happen
      let ticks = 0;
      this.probeTimer = setInterval(() => {
        const down = session.probes.filter((p) => !p.status.up);
        const text = down.length
          ? down.map((p) => `${p.id} DOWN for ${((p.status.downForMs ?? 0) / 1000).toFixed(1)} s`).join(', ')
          : 'up';
        // the timeline moves a mark a second; the header as soon as the answer changes
        const probes =
          ticks++ % 4 === 0
            ? session.probes.map((p) => probeView(p.id, p.status, p.totals, p.recent(TIMELINE_SECONDS)))
            : undefined;
        if (text !== this.snap.availability || probes)
          this.update({ availability: text, ...(probes ? { probes } : {}) });
      }, 250);
      this.probeTimer.unref?.();
    }
    session.subscribe((c) => {
      if (c.line) this.onLine(c.line.key, c.line.text, c.line.stream);
      else {
        const after = this.liveAfter(c.state);
        let ui = after.message ? { ...this.snap.ui, message: after.message } : this.snap.ui;
        // a refusal said before the run changed may no longer hold ("not approved" once the approval came)
        if (!after.message && ui.message?.tone === 'error' && c.state.updatedAt !== this.snap.state.updatedAt)
          ui = { ...ui, message: undefined };
        // an open quit dialog says whether a step runs now, not when it opened
        const d = ui.dialog;
        const running = Object.values(c.state.steps).some((st) => st.status === 'running');
        if (d?.kind === 'quit' && d.running !== running) ui = { ...ui, dialog: { ...d, running } };
        this.update({ state: c.state, live: after.live, ui, ...(after.printed ? { printed: after.printed } : {}) });
        if (ui.screen === 'success') void this.refreshSuccess();
      }
    });
  }

  /** The criteria from the report's own evaluation (it reads the audit log: only while shown). */
  private async refreshSuccess(): Promise<void> {
    const [{ successCriteria }, { readAudit }] = await Promise.all([
      import('../report/build.js'),
      import('../state/audit.js'),
    ]);
    const s = this.session;
    const rows = successCriteria({
      runbook: s.runbook,
      runbookHash: s.state.runbookHash,
      state: s.state,
      redactor: s.lr.redactor,
      audit: readAudit(s.paths.audit),
      now: s.now(),
    });
    this.update({ success: { rows, at: s.now().toISOString() } });
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getSnapshot = (): Snapshot => this.snap;

  private update(patch: Partial<Snapshot>): void {
    const next = { ...this.snap, ...patch, version: this.snap.version + 1 };
    this.snap = { ...next, ...this.views(next) };
    for (const fn of this.listeners) fn();
  }

  private size = { width: 79, height: 23 };

  /** The screen's size, from the App: views are fitted to it. */
  setSize(width: number, height: number): void {
    if (width === this.size.width && height === this.size.height) return;
    this.size = { width, height };
    this.update({});
  }

  /** What every screen shows, worked out from the snapshot: the screens only draw it. */
  private views(snap: Snapshot): Pick<Snapshot, 'view' | 'checksView' | 'stepsView' | 'frame' | 'dialogExtra'> {
    const steps =
      snap.ui.screen === 'steps' ? stepsView({ ...this.viewInput(snap), message: snap.ui.message }) : undefined;
    return {
      view: this.listView(snap),
      checksView: this.checksView(snap),
      stepsView: steps,
      frame: this.frameOf(snap),
      dialogExtra: this.dialogExtra(snap),
    };
  }

  private dialogExtra(snap: Pick<Snapshot, 'ui' | 'state'>): DialogExtra {
    const d = snap.ui.dialog;
    return {
      operator: this.session.opts.operator,
      screen: snap.ui.screen,
      signoff: d?.kind === 'signoff' ? signoffView(this.session.runbook, snap.state, d.phaseId) : undefined,
    };
  }

  private envDiffCache?: { key: string; lines: string[] };

  /** An edit-env step's diff reads the env file: once per step and state change, not on every update. */
  private envDiff(step: Step, at: string): string[] {
    if (step.kind !== 'edit-env') return [];
    const key = JSON.stringify([step.file, step.set, at]);
    if (this.envDiffCache?.key !== key) this.envDiffCache = { key, lines: envDiffOf(this.session, step) };
    return this.envDiffCache.lines;
  }

  /** Everything a view model is worked out from: the snapshot, the session's runbook, the terminal's size. */
  private viewInput(snap: Snapshot) {
    const s = this.session;
    return {
      rb: s.runbook,
      state: snap.state,
      cursor: snap.ui.cursor[snap.ui.screen] ?? 0,
      now: s.now(),
      redactor: s.lr.redactor,
      ...this.size,
      // the frame's rollback line takes rows of its own: the screen gets what is left
      height: this.size.height - frameExtraRows(this.frameOf(snap), this.size.width),
      dir: s.lr.dir,
      scope: snap.ui.scope,
      stepIndex: snap.ui.cursor.steps ?? 0,
      live: snap.live,
      success: snap.success,
      envDiff: (step: Step) => this.envDiff(step, snap.state.updatedAt),
      operator: s.opts.operator,
      keptIn: s.keptIn,
      notices: s.notices,
      availability: snap.availability,
      resumeAt: snap.ui.screen === 'start' ? this.resumePoint() : undefined,
    };
  }

  private frameOf(snap: Pick<Snapshot, 'state' | 'ui' | 'availability'>): FrameView {
    const s = this.session;
    const { state, ui, availability } = snap;
    return frameView({
      rb: s.runbook,
      state,
      ui,
      operator: s.opts.operator,
      availability,
      width: this.size.width,
      following: !!s.opts.readOnly,
    });
  }

  private checksView(snap: Snapshot): ChecksView | undefined {
    if (snap.ui.screen !== 'checks') return undefined;
    return checksView({
      ...this.viewInput(snap),
      results: snap.results,
      running: snap.runningChecks,
      watch: snap.ui.watch,
    });
  }

  private listView(snap: Snapshot): ListView | undefined {
    if (snap.ui.screen === 'monitor')
      return monitorView({ ...this.viewInput(snap), results: snap.results, running: snap.runningChecks });
    const build = LIST_VIEWS[snap.ui.screen as keyof typeof LIST_VIEWS];
    return build ? build(this.viewInput(snap)) : undefined;
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
    const live =
      this.snap.live && this.snap.live.key === key
        ? { ...this.snap.live, lines: [...this.snap.live.lines, text].slice(-LIVE_LINES) }
        : this.snap.live;
    // through update(): the steps screen's view shows the new line while the step runs
    this.update({
      live,
      printed: [
        ...this.snap.printed,
        {
          id: ++this.lineId,
          text: `  ${stream === 'stderr' ? '!' : '│'} ${text}`,
          tone: stream === 'stderr' ? 'err' : 'out',
        },
      ],
    });
  }

  /**
   * Keeps the live panel only while its step runs; when it ends, the result line to print and
   * to say, with the step's own recorded duration (the one the detail pane shows). Returns new
   * values: the published snapshot is never changed in place.
   */
  private liveAfter(state: RunState): {
    live: Snapshot['live'];
    printed?: PrintedLine[];
    message?: UiState['message'];
  } {
    const live = this.snap.live;
    if (!live) return { live: undefined };
    const st = state.steps[live.key];
    if (st?.status === 'running') return { live };
    const ms = st?.durationMs ?? Date.now() - live.startedAt;
    const code = st?.exitCode !== undefined && st.exitCode !== null ? `, exit ${st.exitCode}` : '';
    const why = st?.message && st.status !== 'passed' ? ` — ${st.message}` : '';
    const line = `${live.title}: ${st?.status ?? 'finished'}${code} (${(ms / 1000).toFixed(1)} s)${why}`;
    return {
      live: undefined,
      printed: [...this.snap.printed, { id: ++this.lineId, text: `■ ${line}`, tone: 'info' }],
      message: { text: line, tone: st?.status === 'passed' ? 'ok' : 'error' },
    };
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
      case 'step':
      case 'success':
        // these scroll by line: their view says how many there are (never rebuilt for a key press)
        return this.snap.view?.total ?? 0;
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
    // Ink hands over a whole chunk: keys typed fast, a paste, or an SSH link batching keystrokes
    // arrive as 'kkk' or 'STOP\r'. Each character is its own key press, in order.
    // (Each is handled as a single key would be: what it changes on screen is done before the next.)
    if ([...input].length > 1 && !key.ctrl) {
      // a paste of several lines into a reason is one reason: its line breaks become spaces, and
      // it is not submitted half-way (one line and Enter, typed fast, still submits)
      const d = this.snap.ui.dialog;
      const body = input.replace(/[\r\n]+$/, '');
      if (d && 'text' in d && /[\r\n]/.test(body)) {
        void this.perform({ type: 'text', ch: body.replace(/[ \t]*[\r\n]+[ \t]*/g, ' ') });
        return;
      }
      for (const ch of input) {
        const k: KeyInfo =
          ch === '\r' || ch === '\n'
            ? { return: true }
            : ch === '\x7f' || ch === '\b'
              ? { backspace: true }
              : ch === '\t'
                ? { tab: true }
                : {};
        void this.perform(keyToAction(this.snap.ui, k.return || k.backspace || k.tab ? '' : ch, k));
      }
      return;
    }
    void this.perform(keyToAction(this.snap.ui, input, key));
  };

  async perform(action: Action): Promise<void> {
    const ui = this.snap.ui;
    switch (action.type) {
      case 'none':
        return;
      case 'open':
        if (action.screen === 'rollback' && ui.screen === 'steps' && parseScope(ui.scope ?? '').kind === 'rollback')
          return;
        this.setUi(navigate({ ...ui, dialog: undefined }, action, 0));
        if (action.screen === 'monitor') void this.refreshMonitor();
        if (action.screen === 'success') void this.refreshSuccess();
        return;
      case 'back':
        if (ui.screen === 'start') return;
        if (ui.stack.length === 0 || (ui.stack.length === 1 && ui.stack[0] === 'start'))
          return this.setUi({ ...ui, screen: 'overview', stack: ['start'], scopes: [], message: undefined });
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
        if (!this.session.state.drift || this.session.state.drift.acknowledgedAt)
          return this.say('there is no runbook change to acknowledge');
        const r = this.session.dispatch({ type: 'drift.ack' });
        return r.ok
          ? this.say('runbook changes acknowledged (recorded in the audit log); Enter resumes', 'ok')
          : this.say(tuiError(this.session.runbook, r), 'error');
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
      case 'cancel-step': {
        const step = this.selectedStep();
        const left = this.session.stillRunning().find((o) => o.key === `${ui.scope}/${step?.id}`);
        if (left && step) {
          const prompt = `${stillRunsText(left)}. Stop it?`;
          return this.setUi({
            ...ui,
            dialog: {
              kind: 'confirm-word',
              purpose: 'stop',
              scope: ui.scope ?? '',
              stepId: step.id,
              word: 'STOP',
              prompt,
              text: '',
            },
          });
        }
        if (!this.session.isBusy()) return this.say('nothing is running');
        this.session.cancel();
        return this.say('stopping the running step (its whole process tree)…');
      }
      case 'rerun':
        return this.rerunSelected();
      case 'report':
        return this.report();
      case 'reopen':
        return this.askReopen();
      case 'approve':
        return void this.approveSelected();
      case 'quit':
        return this.setUi({ ...ui, dialog: { kind: 'quit', running: this.session.isBusy() } });
      case 'abandon': {
        const procId =
          ui.screen === 'rollback'
            ? orderedProcedures(this.session.runbook, this.session.state)[ui.cursor.rollback ?? 0]?.id
            : parseScope(ui.scope ?? '').id;
        if (!procId) return;
        return this.askWhy(
          'abandon-rollback',
          { type: 'abandon-rollback', procedureId: procId },
          { scope: `rollback:${procId}` },
        );
      }
      case 'unbound':
        return this.say(action.why, 'error');
      case 'confirm-yes': {
        const d = ui.dialog;
        if (d?.kind !== 'confirm-key') return;
        this.setUi({ ...ui, dialog: undefined });
        return this.startSelected({ rerun: true });
      }
      case 'quit-now':
        // quitting stops a running step: the same exit code as Ctrl-C, so a script can tell
        return this.exit(this.session.isBusy() ? 130 : 0);
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
        if (st.drift && !st.drift.acknowledgedAt)
          return this.say('read the changes above, then press a to acknowledge them', 'error');
        const rp = this.resumePoint();
        if (!rp)
          return this.setUi({
            ...ui,
            screen: 'overview',
            stack: ['start'],
            scopes: [],
            message: { text: 'every phase is signed off', tone: 'ok' },
          });
        return this.setUi({
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
        return this.openSteps(ph.id, nx ? ph.steps.indexOf(nx) : 0);
      }
      case 'rollback': {
        const proc = orderedProcedures(rb, st)[ui.cursor.rollback ?? 0];
        if (proc) this.openSteps(`rollback:${proc.id}`, 0);
        return;
      }
      case 'troubleshooting': {
        const t = rb.troubleshooting[ui.cursor.troubleshooting ?? 0];
        if (t) this.openSteps(`troubleshooting:${t.id}`, 0);
        return;
      }
      case 'checks':
        return void this.rerunSelected();
      case 'steps':
        return this.startSelected();
    }
  }

  /** Opens a scope's steps on top of the screen that is showing, at a step. */
  private openSteps(scope: string, index: number): void {
    const ui = this.snap.ui;
    this.setUi({
      ...ui,
      ...pushed(ui),
      screen: 'steps',
      scope,
      cursor: { ...ui.cursor, steps: index },
      message: undefined,
    });
  }

  private startSelected(given: { confirmWord?: string; pnrConfirmed?: boolean; rerun?: boolean } = {}): void {
    const ui = this.snap.ui;
    const step = this.selectedStep();
    const scope = ui.scope ?? '';
    if (!step) return;
    if (stepState(this.session.state, scope, step.id).status === 'running')
      return this.say(`"${step.title}" is running — x stops it`);
    if (step.kind === 'signoff') return void this.askSignoff();
    if (this.askStoppedFirst(scope, step.id)) return;
    // the rules say what may happen and what it needs; the screen only asks for it, in their order
    const v = can(
      this.session.runbook,
      this.session.state,
      { type: 'start', scope, stepId: step.id },
      this.session.now(),
    );
    if (!v.ok) return this.say(tuiRefusal(this.session.runbook, v.refusal), 'error');
    for (const n of v.needs) {
      if (n.kind === 'rerun' && !given.rerun)
        return this.setUi({
          ...ui,
          dialog: { kind: 'confirm-key', purpose: 'rerun', scope, stepId: step.id, prompt: n.text },
        });
      if (n.kind === 'pnr' && !given.pnrConfirmed)
        return this.setUi({
          ...ui,
          dialog: {
            kind: 'confirm-word',
            purpose: 'pnr',
            scope,
            stepId: step.id,
            word: n.word,
            prompt: `POINT OF NO RETURN: ${n.text}`,
            text: '',
            rerun: given.rerun,
            change:
              step.kind === 'edit-env'
                ? this.envDiff(step, this.session.state.updatedAt)
                : step.kind === 'command'
                  ? [`$ ${this.session.commandText(step)}`]
                  : undefined,
          },
        });
      if (n.kind === 'confirm-word' && given.confirmWord !== n.word)
        return this.setUi({
          ...ui,
          dialog: {
            kind: 'confirm-word',
            purpose: n.rollback ? 'rollback' : 'destructive',
            scope,
            stepId: step.id,
            word: n.word,
            prompt: n.prompt,
            text: '',
            rerun: given.rerun,
          },
        });
    }
    if (step.kind === 'manual') {
      const r = this.session.dispatch({ type: 'step.confirm', scope, stepId: step.id, ...given });
      if (!r.ok) return this.say(tuiError(this.session.runbook, r), 'error');
      this.say(`confirmed: ${step.title}`, 'ok');
      return this.advance(scope);
    }
    const started = Date.now();
    const r = this.session.dispatch({ type: 'step.start', scope, stepId: step.id, ...given });
    if (!r.ok) return this.say(tuiError(this.session.runbook, r), 'error');
    if (r.effects.some((e) => e.type !== 'sign-phase')) {
      const cmd =
        step.kind === 'command'
          ? `$ ${this.session.commandText(step)}`
          : step.kind === 'check'
            ? `check ${step.check}`
            : `edit ${step.kind === 'edit-env' ? step.file : ''}`;
      this.snap = {
        ...this.snap,
        live: { key: `${scope}/${step.id}`, title: step.title, startedAt: started, lines: [] },
      };
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

  /** Opens the reason dialog for an action the rules allow, or says why they do not. */
  private askWhy(
    purpose: DialogPurpose,
    action: RuleAction,
    ids: { scope: string; stepId?: string; checkId?: string },
  ): void {
    const v = can(this.session.runbook, this.session.state, action, this.session.now());
    if (!v.ok) return this.say(tuiRefusal(this.session.runbook, v.refusal), 'error');
    const need = v.needs.find((n) => n.kind === 'reason');
    const label = need?.kind === 'reason' ? need.label : 'Why?';
    this.setUi({ ...this.snap.ui, dialog: { kind: 'reason', purpose, ...ids, label, text: '' } });
  }

  private askReason(purpose: 'skip' | 'mark-done'): void {
    const step = this.selectedStep();
    const scope = this.snap.ui.scope ?? '';
    if (!step || this.askStoppedFirst(scope, step.id)) return;
    this.askWhy(purpose, { type: purpose, scope, stepId: step.id }, { scope, stepId: step.id });
  }

  /** A step a Waymark on another host left running is not acted on before the operator says it stopped there. */
  private askStoppedFirst(scope: string, stepId: string): boolean {
    if (!stepState(this.session.state, scope, stepId).elsewhere) return false;
    this.askWhy('confirm-stopped', { type: 'confirm-stopped', scope, stepId }, { scope, stepId });
    return true;
  }

  /** o: a wait selected is passed early; otherwise a gate check is overridden. */
  private askOverride(): void {
    const ui = this.snap.ui;
    const phaseId = ui.scope ?? '';
    const rb = this.session.runbook;
    if (!rb.phases.some((p) => p.id === phaseId))
      return this.say('gates belong to phases; open a phase first', 'error');
    const step = this.selectedStep();
    if (step?.kind === 'wait' && !DONE.has(stepState(this.session.state, phaseId, step.id).status))
      return this.askWhy(
        'pass-wait-early',
        { type: 'pass-wait-early', scope: phaseId, stepId: step.id },
        { scope: phaseId, stepId: step.id },
      );
    const open = openGates(rb, this.session.state, phaseId);
    if (phaseState(this.session.state, phaseId).status !== 'signed-off' && !open.length)
      return this.say('every gate check of this phase has passed; nothing to override', 'ok');
    if (open.length > 1)
      return this.setUi({
        ...ui,
        dialog: { kind: 'pick-gate', phaseId, options: open.map((g) => g.checkId), cursor: 0 },
      });
    const checkId = open[0]?.checkId ?? rb.phases.find((p) => p.id === phaseId)!.gate[0] ?? '';
    this.askWhy('override', { type: 'override-gate', phaseId, checkId }, { scope: phaseId, checkId });
  }

  /** A: the operator approves the sign-off of the phase under the cursor (another person's). */
  private async approveSelected(): Promise<void> {
    const phase = this.session.runbook.phases[this.snap.ui.cursor.overview ?? 0];
    if (!phase) return;
    const r = await this.session.approve(phase.id);
    if (!r.ok) return this.say(`not approved: ${r.error}`, 'error');
    if (r.handedOver)
      return this.say(
        `approved "${phase.title}" with your key: the session that holds the run takes it in within 2 s`,
        'ok',
      );
    this.say(`approved "${phase.title}": ${r.given} of ${r.of} signatures`, 'ok');
  }

  /** r: reopen the signed-off phase under the cursor (overview) or on screen (steps). */
  private askReopen(): void {
    const ui = this.snap.ui;
    const rb = this.session.runbook;
    const phaseId = ui.screen === 'overview' ? rb.phases[ui.cursor.overview ?? 0]?.id : ui.scope;
    if (!phaseId || !rb.phases.some((p) => p.id === phaseId))
      return this.say('only phases are signed off and reopened', 'error');
    this.askWhy('reopen', { type: 'reopen', phaseId }, { scope: phaseId });
  }

  private async askSignoff(gateRun = false): Promise<void> {
    const ui = this.snap.ui;
    const phaseId = ui.scope ?? '';
    const phase = this.session.runbook.phases.find((p) => p.id === phaseId);
    if (!phase) return this.say('only phases are signed off', 'error');
    const block = signoffBlock(this.session.runbook, this.session.state, phaseId);
    if (block?.kind === 'gate' && !gateRun) {
      // gate checks that no step ran are run now, once, as the non-interactive mode does
      const open = openGates(this.session.runbook, this.session.state, phaseId);
      this.say(`running the gate checks first: ${open.map((g) => g.checkId).join(', ')}…`);
      await Promise.all(open.map((g) => this.runCheck(g.checkId, true)));
      return this.askSignoff(true);
    }
    const v = can(this.session.runbook, this.session.state, { type: 'signoff', phaseId }, this.session.now());
    if (!v.ok) {
      const why = tuiRefusal(this.session.runbook, v.refusal);
      return this.say(block?.kind === 'gate' ? `${why} — o overrides a gate check with a reason` : why, 'error');
    }
    const need = v.needs.find((n) => n.kind === 'statement');
    this.setUi({ ...ui, dialog: { kind: 'signoff', phaseId, text: need?.kind === 'statement' ? need.text : '' } });
  }

  private submit(): void {
    const ui = this.snap.ui;
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
      const r = this.session.dispatch(event);
      if (!r.ok) return this.setUi({ ...ui, dialog: { ...d, error: tuiError(this.session.runbook, r) } });
      const text = {
        override: `gate check ${d.checkId} overridden`,
        'pass-wait-early': 'wait passed early (recorded as an override)',
        reopen: 'phase reopened: its sign-off is voided and kept in the record; it needs a new sign-off',
        skip: 'step skipped',
        'mark-done': 'step marked done',
        'confirm-stopped': 'recorded that it has stopped there: Enter re-runs it, d marks it done, s skips it',
        'abandon-rollback': 'rollback abandoned (recorded with your reason); its steps stay as they are',
      }[d.purpose];
      this.setUi({ ...this.snap.ui, dialog: undefined, message: { text, tone: 'ok' } });
      const stays = ['override', 'reopen', 'confirm-stopped', 'abandon-rollback'];
      if (!stays.includes(d.purpose)) this.advance(d.scope);
      return;
    }
    if (d.kind === 'pick-gate') {
      const checkId = d.options[d.cursor];
      return this.askWhy(
        'override',
        { type: 'override-gate', phaseId: d.phaseId, checkId },
        { scope: d.phaseId, checkId },
      );
    }
    if (d.kind === 'signoff') {
      if (d.text.trim().length < 10)
        return this.setUi({
          ...ui,
          dialog: { ...d, error: 'write a statement of what you vouch for (10+ characters)' },
        });
      const r = this.session.dispatch({ type: 'phase.signoff', phaseId: d.phaseId, statement: d.text.trim() });
      if (!r.ok) return this.setUi({ ...ui, dialog: { ...d, error: tuiError(this.session.runbook, r) } });
      const phases = this.session.runbook.phases;
      const i = phases.findIndex((p) => p.id === d.phaseId);
      // the cursor stays on the signed phase so g writes its report; say how to go on
      const next = phases.slice(i + 1).find((p) => phaseState(this.session.state, p.id).status !== 'signed-off');
      const text =
        `${phases[i]?.title} signed off by ` +
        `${this.session.opts.operator}${this.opts.writeReport ? ' — g writes its signed report' : ''}` +
        `${next ? `; ↓ Enter opens "${next.title}"` : ''}`;
      this.setUi({
        ...this.snap.ui,
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
        return this.setUi({ ...ui, dialog: { ...d, error: `type ${d.word} exactly, or Esc to go back` } });
      this.setUi({ ...ui, dialog: undefined });
      if (d.purpose === 'stop') {
        this.session.stopLeftRunning(`${d.scope}/${d.stepId}`);
        return this.say('stopping it (its whole process group); the step is marked interrupted once it has ended');
      }
      // the rules ask for the point of no return first, then a destructive step's word
      if (d.purpose === 'pnr') return this.startSelected({ pnrConfirmed: true, rerun: d.rerun });
      return this.startSelected({ confirmWord: d.word, pnrConfirmed: true, rerun: d.rerun });
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
    if (phaseState(this.session.state, ph.id).status !== 'signed-off')
      return this.say(`"${ph.title}" is not signed off yet; reports are written for signed-off phases`, 'error');
    if (!this.opts.writeReport) return this.say('reports are not available here', 'error');
    try {
      const { file: path, untrusted } = await this.opts.writeReport(ph.id);
      this.setUi({
        ...this.snap.ui,
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
      this.say(`report failed: ${(e as Error).message}`, 'error');
    }
  }

  async exit(code: number, why?: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.session.cancel(undefined, why);
    await this.session.idle().catch(() => {});
    this.update({ exited: code });
    this.opts.onExit(code);
  }
}

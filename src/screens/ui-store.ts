// The TUI's one snapshot and its only writer: what every screen shows, worked out from the run,
// the UI state and the terminal's size; React is told when it changed. Intents change it through
// here, never in place.
import type { Session } from '../phases/session.js';
import type { RunState } from '../state/run-state.js';
import type { CheckResult } from '../checks/types.js';
import type { Step } from '../runbook/schema.js';
import type { UiState } from './model.js';
import type { ProbeView } from './probe-view.js';
import type { SuccessRow } from '../report/build.js';
import { envDiffOf } from './step-view.js';
import { LIST_VIEWS, checksView, monitorView, type ChecksView, type ListView } from './list-views.js';
import { frameExtraRows, frameView, type FrameView } from './frame-view.js';
import { stepsView, type StepsView } from './steps-view.js';
import { signoffView } from './dialog-view.js';
import type { DialogExtra } from './Dialogs.js';
import { resumePoint } from './resume-point.js';

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

/** output lines of a running step kept for its view (the view shows the newest that fit) */
const LIVE_LINES = 40;

export class UiStore {
  private current: Snapshot;
  private readonly listeners = new Set<() => void>();
  private lineId = 0;
  private size = { width: 79, height: 23 };
  private envDiffCache?: { key: string; lines: string[] };

  constructor(
    private readonly session: Session,
    /** the UI state changed (the controller's timers follow the screen) */
    private readonly uiChanged: () => void,
    first: Pick<Snapshot, 'ui' | 'state' | 'printed' | 'results' | 'runningChecks' | 'version'>,
  ) {
    this.current = { ...first, frame: this.frameOf(first), dialogExtra: this.dialogExtra(first) };
    // every view is there from the first frame, before the App says its size
    this.current = { ...this.current, ...this.views(this.current) };
  }

  get snap(): Snapshot {
    return this.current;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  update(patch: Partial<Snapshot>): void {
    const next = { ...this.current, ...patch, version: this.current.version + 1 };
    this.current = { ...next, ...this.views(next) };
    for (const fn of this.listeners) fn();
  }

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

  /** An edit-env step's diff reads the env file: once per step and state change, not on every update. */
  envDiff(step: Step, at: string): string[] {
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
      values: s.values,
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
      resumeAt: snap.ui.screen === 'start' ? resumePoint(s.runbook, snap.state) : undefined,
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
      holder: s.opts.follow ? (s.followedHolder ?? null) : undefined,
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

  setUi(ui: UiState): void {
    this.update({ ui });
    this.uiChanged();
  }

  say(text: string, tone: 'info' | 'error' | 'ok' = 'info'): void {
    this.setUi({ ...this.snap.ui, message: { text, tone } });
  }

  print(text: string, tone: PrintedLine['tone'] = 'info'): void {
    this.update({ printed: [...this.snap.printed, { id: ++this.lineId, text, tone }] });
  }

  onLine(key: string, text: string, stream: 'stdout' | 'stderr'): void {
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
  liveAfter(state: RunState): {
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
}

// The TUI's behaviour, outside React, in three parts: the UI store (ui-store.ts) holds the one
// snapshot the screens render; the key map (key-map.ts) turns a key into an action; the intents
// (intents*.ts) carry each action out through the session. This file wires them together and
// keeps the timers: the probes' header, the watched checks.
import type { Session } from '../phases/session.js';
import { parseDuration } from '../runbook/duration.js';
import { keyToAction } from './key-map.js';
import { initialUi, type Action, type KeyInfo } from './model.js';
import { probeView } from './probe-view.js';
import { UiStore, TIMELINE_SECONDS, type Snapshot } from './ui-store.js';
import type { Ctx, Intents } from './intent-context.js';
import { ON_ACTION } from './intents.js';
import { listLength, openSteps, selectedStep } from './intents-nav.js';
import { advance, askStoppedFirst, startSelected } from './intents-steps.js';
import { askSignoff, askWhy } from './intents-dialogs.js';
import { askStartInputs } from './intents-inputs.js';

export { TIMELINE_SECONDS, type PrintedLine, type Snapshot } from './ui-store.js';

export interface ControllerOptions {
  onExit: (code: number) => void;
  writeReport?: (phaseId: string) => Promise<{ file: string; untrusted: string[] }>;
}

export class TuiController {
  private readonly store: UiStore;
  private readonly ctx: Ctx;
  private timer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    readonly session: Session,
    private readonly opts: ControllerOptions,
  ) {
    const first = { ui: initialUi(), state: session.state, printed: [], results: {}, runningChecks: [], version: 0 };
    this.store = new UiStore(session, () => this.syncTimer(), first);
    this.ctx = this.context();
    // the inputs of the start are asked before anything else (a secret of an earlier session again)
    askStartInputs(this.ctx);
    this.watchProbes();
    session.subscribe((c) => {
      if (c.line) return this.store.onLine(c.line.key, c.line.text, c.line.stream);
      const snap = this.store.snap;
      const after = this.store.liveAfter(c.state);
      let ui = after.message ? { ...snap.ui, message: after.message } : snap.ui;
      // a refusal said before the run changed may no longer hold ("not approved" once the approval came)
      if (!after.message && ui.message?.tone === 'error' && c.state.updatedAt !== snap.state.updatedAt)
        ui = { ...ui, message: undefined };
      // an open quit dialog says whether a step runs now, not when it opened
      const d = ui.dialog;
      const running = Object.values(c.state.steps).some((st) => st.status === 'running');
      if (d?.kind === 'quit' && d.running !== running) ui = { ...ui, dialog: { ...d, running } };
      this.store.update({ state: c.state, live: after.live, ui, ...(after.printed ? { printed: after.printed } : {}) });
      if (ui.screen === 'success') void this.refreshSuccess();
    });
  }

  /** What every intent works with; the intents that hand on to others reach them through it. */
  private context(): Ctx {
    const c = {} as Ctx;
    const intents: Intents = {
      listLength: (ui) => listLength(c, ui),
      selectedStep: () => selectedStep(c),
      openSteps: (scope, index) => openSteps(c, scope, index),
      startSelected: (given) => startSelected(c, given),
      advance: (scope) => advance(c, scope),
      askStoppedFirst: (scope, stepId) => askStoppedFirst(c, scope, stepId),
      askWhy: (purpose, action, ids) => askWhy(c, purpose, action, ids),
      askSignoff: (gateRun) => askSignoff(c, gateRun),
    };
    return Object.assign(c, {
      session: this.session,
      store: this.store,
      intents,
      writeReport: this.opts.writeReport,
      runCheck: (id: string, record: boolean) => this.runCheck(id, record),
      rerunSelected: () => this.rerunSelected(),
      refreshMonitor: () => this.refreshMonitor(),
      refreshSuccess: () => this.refreshSuccess(),
      exit: (code: number, why?: string) => this.exit(code, why),
    });
  }

  /** The header says live whether the system answers: a restart's seconds show as they happen. */
  private watchProbes(): void {
    const probes = this.session.probes;
    if (!probes.length) return;
    let ticks = 0;
    this.probeTimer = setInterval(() => {
      const down = probes.filter((p) => !p.status.up);
      const text = down.length
        ? down.map((p) => `${p.id} DOWN for ${((p.status.downForMs ?? 0) / 1000).toFixed(1)} s`).join(', ')
        : 'up';
      // the timeline moves a mark a second; the header as soon as the answer changes
      const views =
        ticks++ % 4 === 0
          ? probes.map((p) => probeView(p.id, p.status, p.totals, p.recent(TIMELINE_SECONDS)))
          : undefined;
      if (text !== this.store.snap.availability || views)
        this.store.update({ availability: text, ...(views ? { probes: views } : {}) });
    }, 250);
    this.probeTimer.unref?.();
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
    this.store.update({ success: { rows, at: s.now().toISOString() } });
  }

  subscribe = (fn: () => void): (() => void) => this.store.subscribe(fn);

  getSnapshot = (): Snapshot => this.store.snap;

  /** The screen's size, from the App: views are fitted to it. */
  setSize(width: number, height: number): void {
    this.store.setSize(width, height);
  }

  handleKey = (input: string, key: KeyInfo): void => {
    // Ink hands over a whole chunk: keys typed fast, a paste, or an SSH link batching keystrokes
    // arrive as 'kkk' or 'STOP\r'. Each character is its own key press, in order.
    // (Each is handled as a single key would be: what it changes on screen is done before the next.)
    if ([...input].length > 1 && !key.ctrl) {
      // a paste of several lines into a reason is one reason: its line breaks become spaces, and
      // it is not submitted half-way (one line and Enter, typed fast, still submits)
      const d = this.store.snap.ui.dialog;
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
        void this.perform(keyToAction(this.store.snap.ui, k.return || k.backspace || k.tab ? '' : ch, k));
      }
      return;
    }
    void this.perform(keyToAction(this.store.snap.ui, input, key));
  };

  /** Carries out what a key asked for: one handler per action (intents.ts). */
  async perform(action: Action): Promise<void> {
    const handler = ON_ACTION[action.type] as (c: Ctx, a: Action) => void | Promise<void>;
    await handler(this.ctx, action);
  }

  private async rerunSelected(): Promise<void> {
    const ui = this.store.snap.ui;
    const rb = this.session.runbook;
    if (ui.screen === 'monitor') return this.refreshMonitor();
    const id = Object.keys(rb.checks)[ui.cursor.checks ?? 0];
    if (id) await this.runCheck(id, true);
  }

  private async runCheck(id: string, record: boolean): Promise<void> {
    if (this.store.snap.runningChecks.includes(id) || this.closing) return;
    this.store.update({ runningChecks: [...this.store.snap.runningChecks, id] });
    try {
      const r = await this.session.runCheck(id, { record });
      this.store.update({ results: { ...this.store.snap.results, [id]: r } });
    } finally {
      this.store.update({ runningChecks: this.store.snap.runningChecks.filter((x) => x !== id) });
    }
  }

  private async refreshMonitor(): Promise<void> {
    const ids = this.session.runbook.monitoring?.checks ?? [];
    // monitoring is observation: results are shown, not written into the run
    await Promise.all(ids.map((id) => this.runCheck(id, false)));
  }

  private syncTimer(): void {
    const ui = this.store.snap.ui;
    const wanted = (ui.screen === 'checks' && ui.watch) || ui.screen === 'monitor';
    if (wanted && !this.timer) {
      const ms = parseDuration(this.session.runbook.monitoring?.interval ?? '30s') ?? 30_000;
      this.timer = setInterval(() => {
        if (this.store.snap.ui.screen === 'monitor') void this.refreshMonitor();
        else if (this.store.snap.ui.watch) void this.rerunSelected();
      }, ms);
      this.timer.unref?.();
    } else if (!wanted && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  async exit(code: number, why?: string): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearInterval(this.timer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.session.cancel(undefined, why);
    await this.session.idle().catch(() => {});
    this.store.update({ exited: code });
    this.opts.onExit(code);
  }
}

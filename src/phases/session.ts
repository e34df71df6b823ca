// A live session on one run, coordinating: an event goes to the pure engine (`reduce`), the
// state it returns is committed to the run's store (the audit line first), listeners are told,
// and the effects are carried out (step-runner.ts, signing.ts), their results fed back as events.
// What a session finds as it opens a run is recovery.ts; what runs beside it is watchers.ts;
// other operators' approvals come through approvals-inbox.ts. The TUI and the plain mode both
// drive a Session; neither touches files.
import { hostName } from '../state/host.js';

import type { LoadedRunbook } from '../load/loader.js';
import { NoRunError } from '../runbook/errors.js';
import type { Step } from '../runbook/schema.js';
import type { CheckResult, Metric } from '../checks/types.js';
import { ConnectionManager } from '../checks/pg.js';
import type { AuditLog } from '../state/audit.js';
import { DiskError } from '../state/durable.js';
import type { RunPaths } from '../state/paths.js';
import { openRunStore, type RunStore } from '../state/run-store.js';
import { type RunState } from '../state/run-state.js';
import { reduce, type EngineEvent, type Outcome } from './engine.js';
import { leftRunning, type LeftRunning } from './left-running.js';
import { OPERATOR_CANCEL } from './stop-reason.js';
import { checkClock, clockOffsetFromEnv, fingerprintOf } from './run-identity.js';
import { createRun, resumeRun, showInterrupted, tookOver } from './recovery.js';
import { Recorder, type Listener } from './recorder.js';
import { StepRunner } from './step-runner.js';
import { TargetGuard } from './target-guard.js';
import { unsignedBy } from './signing.js';
import { Effects } from './effects.js';
import { approveNow, intake, signApproval, type Approved, type Approver } from './approvals-inbox.js';
import { startWebhooks, Watchers } from './watchers.js';
import type { SessionOptions } from './session-options.js';
import { RunValues } from './run-values.js';
import { promotionFor } from './promotion.js';
import { inputProblem } from '../runbook/values.js';

export type { Listener } from './recorder.js';
export { clockOffsetFromEnv, fingerprintOf, targetOf } from './run-identity.js';
export { DEFAULT_COMMAND_TIMEOUT_MS, PG_CONNECT_TIMEOUT_S } from './step-runner.js';

export type { SessionOptions } from './session-options.js';

export class Session {
  readonly paths: RunPaths;
  readonly audit: AuditLog;
  readonly connections: ConnectionManager;
  readonly now: () => Date;
  /** no run existed for this runbook and target before this session */
  readonly isNew: boolean;
  /** the state database the run is kept in, as it may be shown (no password) */
  readonly keptIn?: string;
  /** for a follower: who holds the run now, or undefined when no session does (read every second) */
  followedHolder?: string;
  private readonly rec: Recorder;
  private readonly store: RunStore;
  private readonly host = hostName();
  private readonly watchers = new Watchers();
  private readonly runner: StepRunner;
  private readonly targets: TargetGuard;
  private readonly effects: Effects;
  /** the inputs and captured values the steps use; the secret ones held in memory only */
  readonly values: RunValues;
  private lateSignatures: Promise<void> = Promise.resolve();

  constructor(
    readonly lr: LoadedRunbook,
    readonly opts: SessionOptions,
  ) {
    const fingerprint = opts.fingerprint ?? fingerprintOf(lr);
    const store = (this.store = openRunStore(lr.runbook, fingerprint, opts));
    this.paths = store.paths;
    this.keptIn = store.keptIn;
    let existing: RunState | undefined;
    let promotedFrom: RunState['promotedFrom'];
    try {
      existing = store.load();
      // a run promoted from another environment begins only once that one vouches for it
      if (!existing && !opts.readOnly) promotedFrom = promotionFor(lr, opts);
      if (!existing && !opts.readOnly && !store.mayCreate(!!opts.newRun))
        throw new NoRunError(
          `there is no run of "${lr.runbook.title}" in the state database ${this.keptIn} yet: check the runbook ` +
            'and the state URL; to start one there, say so with --new-run',
        );
    } catch (e) {
      store.release();
      throw e;
    }
    // the clock: a test's, else the real one moved by the run's rehearsal offset
    const env = opts.now ? undefined : clockOffsetFromEnv();
    if (existing && !opts.readOnly && !opts.now) checkClock(existing, env);
    const offset = opts.now ? undefined : (env ?? existing?.rehearsal);
    this.now = opts.now ?? (() => new Date(Date.now() + (offset?.offsetMs ?? 0)));
    this.connections = new ConnectionManager(lr.runbook.connections);
    this.isNew = !existing;
    try {
      // a refusal from here on (damaged log, lost state) leaves the files as they are and the lock free
      const hold = opts.readOnly ? undefined : store.hold(opts.operator);
      this.audit = store.openAudit(lr.redactor);
      const by = { operator: opts.operator, host: this.host, now: this.now, readOnly: !!opts.readOnly };
      this.rec = new Recorder(lr, store, this.audit, by);
      const from = hold?.tookOverFrom;
      if (from) this.rec.notice(tookOver(hold));
      this.targets = new TargetGuard(lr.runbook, lr.redactor, this.connections, opts.operator, (connection) =>
        this.rec.note('target.locked', { connection }),
      );
      const values = (this.values = new RunValues(lr, () => this.state));
      this.runner = new StepRunner({
        ...{ lr, connections: this.connections, artifactsDir: this.paths.artifacts, host: this.host, now: this.now },
        baselines: () => this.baselineMetrics(),
        started: (event) => this.rec.apply(event),
        line: (key, line) => this.rec.emit({ state: this.state, line: { ...line, key } }),
        value: (ref, scope) => values.value(ref, scope),
        secretCaptured: (key, name, value) => values.captured(key, name, value),
      });
      const { operator, stateDir, signingKey } = opts;
      this.effects = new Effects(lr, this.rec, this.runner, this.targets, { operator, stateDir, signingKey });
      if (existing) this.rec.state = existing;
      else createRun(this.rec, fingerprint, env, promotedFrom);
      if (opts.readOnly) this.watch(!!existing);
      else this.begin(!!existing, env, from);
    } catch (e) {
      store.release();
      throw e;
    }
  }

  get state(): RunState {
    return this.rec.state;
  }

  /** what the operator is told of as the session opens and runs (a lock taken over, a refusal) */
  get notices(): readonly string[] {
    return this.rec.notices;
  }

  get failure(): DiskError | undefined {
    return this.rec.failure;
  }

  get probes() {
    return this.watchers.probes;
  }

  get runbook() {
    return this.lr.runbook;
  }

  notice(text: string): void {
    this.rec.notice(text);
  }

  subscribe(fn: Listener): () => void {
    return this.rec.subscribe(fn);
  }

  /** A writer's start: webhooks, the run's recovery, the approvals inbox, late signatures, probes. */
  private begin(existing: boolean, clock: RunState['rehearsal'], tookOverFrom: unknown): void {
    const { lr, opts, rec } = this;
    const record = (event: string, data: unknown) => rec.note(event, data);
    rec.notifier = startWebhooks(lr.runbook, rec.state, lr.redactor, record, (t) => rec.notice(t), opts.notify);
    if (existing) {
      const left = this.stillRunning();
      resumeRun(rec, clock, left);
      if (left.length) this.watchLeftRunning();
    }
    this.takeApprovals();
    // another operator's approval lands in the approvals inbox while this session is open
    this.watchers.every('approvals', 2000, () => void this.takeApprovals());
    rec.note('session.opened', { pid: process.pid, tookOverFrom });
    const signing = unsignedBy(rec.state, opts.operator).map((id) => this.effects.sign(id));
    this.lateSignatures = Promise.all(signing).then(() => undefined);
    if (!opts.noProbes) this.watchers.startProbes(lr.runbook, rec, () => [...this.effects.running.keys()][0]);
  }

  /** A reader shows a step whose session died as interrupted, without writing; a follower reads again. */
  private watch(existing: boolean): void {
    if (this.opts.follow) this.watchers.follow(this.store, this.rec, (h) => (this.followedHolder = h));
    if (existing && this.store.holderGone()) showInterrupted(this.rec, this.stillRunning());
  }

  /** Steps a killed session left running whose process group is still alive on this host. */
  stillRunning(): LeftRunning[] {
    return leftRunning(this.runbook, this.state, this.host, new Set(this.effects.running.keys()));
  }

  /** Stops a step's process group that a killed session left running; it is marked interrupted when gone. */
  stopLeftRunning(key: string): boolean {
    const o = this.stillRunning().find((x) => x.key === key);
    if (!o) return false;
    try {
      process.kill(-o.pid, 'SIGTERM');
    } catch {
      /* gone already */
    }
    this.rec.note('step.left-running-stopped', { key, pid: o.pid });
    return true;
  }

  /** Watches the process groups left running: each is recorded as interrupted once it ends. */
  private watchLeftRunning(): void {
    this.watchers.every('left-running', 1000, () => {
      const keep = this.stillRunning().map((o) => o.key);
      this.rec.apply({ type: 'recover', keep, host: this.host });
      return keep.length > 0;
    });
  }

  /** Feeds one event to the engine. Refusals (and a state that could not be saved) are returned, not thrown. */
  dispatch(event: EngineEvent): Outcome {
    const rec = this.rec;
    if (this.opts.readOnly)
      return { ok: false, error: 'this session follows the run another session holds: nothing is changed from here' };
    if (rec.failure) return { ok: false, error: rec.failure.message };
    const ctx = rec.ctx();
    const r = reduce(this.runbook, rec.state, event, ctx);
    if (!r.ok) return r;
    // the probes' record up to a sign-off belongs to the phase signed off
    if (r.effects.some((e) => e.type === 'sign-phase')) this.watchers.flushProbes();
    if (!rec.safeCommit(r.state, { event, at: ctx.now })) return { ok: false, error: rec.failure!.message };
    for (const e of r.effects) void this.effects.perform(e);
    return r;
  }

  /** Starts a step and waits until it is no longer running. */
  async runStep(event: Extract<EngineEvent, { type: 'step.start' }>): Promise<Outcome> {
    const r = this.dispatch(event);
    if (!r.ok || !r.effects.length) return r;
    await this.idle();
    return { ok: true, state: this.state, effects: [] };
  }

  idle(): Promise<void> {
    return this.effects.idle();
  }

  isBusy(): boolean {
    return this.effects.running.size > 0;
  }

  /** Stops running steps; `why` is what the step's record will say stopped it. */
  cancel(key?: string, why = OPERATOR_CANCEL): void {
    this.effects.cancel(key, why);
  }

  /** The advisory lock in each database the runbook writes to (target-guard.ts); a reader takes none. */
  async lockTargets(): Promise<string[]> {
    return this.opts.readOnly ? [] : this.targets.lock();
  }

  /** Resolves once the sign-offs signed late as this session opened are signed (a report waits for them). */
  signaturesSettled(): Promise<void> {
    return this.lateSignatures;
  }

  /** The command of a step as it will run, secrets masked: for screens, plans and reports. */
  /**
   * An input given by the operator (or by --var, the environment, a default under --yes): recorded
   * with who gave it; a secret one's value is held by this session only, the record says it was given.
   */
  giveInput(name: string, value: string, more: { step?: string; auto?: boolean } = {}): Outcome {
    const def = this.runbook.inputs[name];
    if (def?.secret) {
      const bad = this.values.holdSecret(name, value);
      if (bad) return { ok: false, error: bad };
      return this.dispatch({ type: 'input.given', name, ...more });
    }
    const bad = def ? inputProblem(name, def, value) : `the runbook has no input "${name}"`;
    return bad ? { ok: false, error: bad } : this.dispatch({ type: 'input.given', name, value, ...more });
  }

  commandText(step: Step, scope?: string): string {
    return this.runner.commandText(step, scope);
  }

  baselineMetrics(): Record<string, Record<string, Metric>> {
    return Object.fromEntries(Object.entries(this.state.baselines).map(([k, b]) => [k, b.metrics]));
  }

  /** Runs a check outside a step (gate re-run, monitor, `waymark check`), recording its result. */
  async runCheck(
    checkId: string,
    opts: { record?: boolean; signal?: AbortSignal; progress?: (text: string) => void } = {},
  ): Promise<CheckResult> {
    const result = await this.runner.check(checkId, opts.signal, opts.progress);
    if (opts.record !== false && !this.opts.readOnly) this.dispatch({ type: 'check.result', result });
    return result;
  }

  recordNote(event: string, data: unknown): void {
    if (!this.opts.readOnly) this.rec.note(event, data);
  }

  /** Takes in the approvals other operators dropped (approvals-inbox.ts); returns how many. */
  takeApprovals(): number {
    return intake(this.rec, this.store, (e) => this.dispatch(e)).taken;
  }

  private approver(): Approver {
    const { operator, stateDir, signingKey } = this.opts;
    const at = { rb: this.runbook, state: this.state, host: this.host, now: this.now(), store: this.store };
    return { ...at, operator, stateDir, signingKey };
  }

  /**
   * Signs this session's operator's approval of the sign-off in force and drops it into the
   * inbox; a read-only session may, since nothing of the run is written: its writer takes it in.
   * `waymark approve` does this while the signer's session is open.
   */
  dropApproval(phaseId: string): ReturnType<typeof signApproval> {
    return signApproval(phaseId, this.approver());
  }

  /** This session's operator approves another person's sign-off of a phase (the TUI's A), taken in at once. */
  approve(phaseId: string): Promise<Approved> {
    return approveNow(phaseId, this.approver(), this.rec, (e) => this.dispatch(e));
  }

  async close(): Promise<void> {
    this.cancel();
    await this.idle().catch(() => {});
    await this.connections.close();
    this.watchers.stop();
    await this.targets.releaseAll();
    // what is still going out gets a moment; what cannot go is recorded as not sent
    await this.rec.notifier?.close(this.opts.notify?.closeMs);
    try {
      if (!this.opts.readOnly && !this.failure) this.rec.note('session.closed', { pid: process.pid });
    } finally {
      this.store.release();
    }
  }
}

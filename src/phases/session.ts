// A live session on one run: it owns the lock, the state file and the audit log,
// feeds events to the pure engine, and carries out the effects the engine asks for.
// The TUI and the non-interactive mode both drive a Session; neither touches files.
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { LoadedRunbook } from '../runbook/loader.js';
import { InputError } from '../runbook/errors.js';
import { parseDuration } from '../runbook/duration.js';
import type { Step } from '../runbook/schema.js';
import type { CheckResult, Metric } from '../checks/types.js';
import { ConnectionManager, describeTarget } from '../checks/pg.js';
import { StateStore } from '../state/store.js';
import { AuditLog } from '../state/audit.js';
import { acquireLock, readLock, alive, type Lock } from '../state/lock.js';
import { TargetLocks, TargetLockError } from '../state/target-lock.js';
import { runPaths, type RunPaths } from '../state/paths.js';
import { reduce, type EngineEvent, type Effect, type Outcome } from './engine.js';
import { findStep } from './rules.js';
import { STATE_SCHEMA, type RunState, type OutputTailLine } from './state.js';
import { stepCommandLine } from './plan.js';
import { OPERATOR_CANCEL } from './stop-reason.js';
import type { OutputLine } from './process.js';

export interface SessionOptions {
  stateDir: string;
  operator: string;
  /** the signing key (a private key file, or a .pub held by ssh-agent); else WAYMARK_SIGNING_KEY, else Waymark's own */
  signingKey?: string;
  /** the clock; tests move it forward to pass wait gates */
  now?: () => Date;
  /** do not take the lock (read-only commands: status, plan, audit) */
  readOnly?: boolean;
  /** a fixed run identity (the demo's ports change between starts; its run must not) */
  fingerprint?: string;
}

export type Listener = (change: { state: RunState; event?: EngineEvent; line?: OutputLine & { key: string } }) => void;

const TAIL_LINES = 40;

/**
 * WAYMARK_CLOCK_OFFSET moves the clock forward (e.g. "24h") to rehearse the waits. Set at
 * all (even "0s"), it makes a run a rehearsal for its whole life; undefined when unset.
 */
export function clockOffsetFromEnv(env: NodeJS.ProcessEnv = process.env): { offset: string; offsetMs: number } | undefined {
  const text = env.WAYMARK_CLOCK_OFFSET?.trim();
  if (text === undefined || text === '') return undefined;
  const offsetMs = parseDuration(text);
  if (offsetMs === undefined) throw new InputError(`WAYMARK_CLOCK_OFFSET=${text} is not a duration: write it like 24h, 8d or 1h30m`);
  return { offset: text, offsetMs };
}


function describeMove(from: Record<string, string>, to: Record<string, string>): string {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((k) => from[k] !== to[k]);
  return keys.map((k) => `${k} ${from[k] ?? '—'} → ${to[k] ?? '—'}`).join(', ');
}

export function targetOf(lr: LoadedRunbook): Record<string, string> {
  const t: Record<string, string> = {};
  for (const [name, c] of Object.entries(lr.runbook.connections)) {
    const d = describeTarget(c);
    t[`${name}.host`] = `${d.host}:${d.port}`;
    t[`${name}.database`] = d.database;
  }
  const first = Object.values(lr.runbook.data).find((e) => e.file);
  if (first?.file) t['data directory'] = resolve(lr.dir, first.file, '..');
  return t;
}

export function fingerprintOf(lr: LoadedRunbook): string {
  return createHash('sha256').update(JSON.stringify([lr.runbook.id, targetOf(lr)])).digest('hex').slice(0, 12);
}

export class Session {
  readonly paths: RunPaths;
  readonly audit: AuditLog;
  readonly connections: ConnectionManager;
  readonly now: () => Date;
  state: RunState;
  notices: string[] = [];
  /** no run existed for this runbook and target before this session */
  readonly isNew: boolean;
  private store: StateStore;
  private lock?: Lock;
  private listeners = new Set<Listener>();
  private running = new Map<string, AbortController>();
  private host = hostname();
  private targetLocks: TargetLocks;
  private targetLocksWanted = false;
  /** when a database that timed out is tried again: not before every step, which would wait out the timeout each time */
  private targetRetryAt = new Map<string, number>();

  constructor(readonly lr: LoadedRunbook, readonly opts: SessionOptions) {
    this.paths = runPaths(opts.stateDir, lr.runbook.id, opts.fingerprint ?? fingerprintOf(lr));
    this.store = new StateStore(this.paths.state);
    const existing = this.store.load();
    // the clock: a test's, else the real one moved by the run's rehearsal offset
    const env = opts.now ? undefined : clockOffsetFromEnv();
    if (existing && !opts.readOnly && !opts.now) checkClock(existing, env);
    const offset = opts.now ? undefined : (env ?? existing?.rehearsal);
    this.now = opts.now ?? (() => new Date(Date.now() + (offset?.offsetMs ?? 0)));
    if (!opts.readOnly) {
      this.lock = acquireLock(this.paths.lock, opts.operator);
      if (this.lock.tookOverFrom) {
        const h = this.lock.tookOverFrom;
        this.notices.push(`took over a stale lock from ${h.operator} on ${h.host} (pid ${h.pid}, since ${h.since}); that process is gone`);
      }
    }
    this.audit = new AuditLog(this.paths.audit, lr.redactor);
    this.connections = new ConnectionManager(lr.runbook.connections);
    this.targetLocks = new TargetLocks(lr.runbook.id, opts.operator);
    this.isNew = !existing;
    if (existing) {
      this.state = existing;
      if (!opts.readOnly) this.afterLoad(env);
      else {
        // A reader shows a step whose session died as interrupted, without writing anything.
        const holder = readLock(this.paths.lock);
        if (!holder || !alive(holder)) {
          const r = reduce(this.runbook, this.state, { type: 'recover' }, this.ctx());
          if (r.ok) this.state = r.state;
        }
      }
    } else {
      const now = this.now().toISOString();
      this.state = {
        schema: STATE_SCHEMA,
        runId: randomUUID(),
        runbookId: lr.runbook.id,
        runbookVersion: lr.runbook.version,
        runbookHash: lr.hash,
        partHashes: lr.partHashes,
        fingerprint: opts.fingerprint ?? fingerprintOf(lr),
        target: lr.redactor.redactDeep(targetOf(lr)),
        createdAt: now,
        updatedAt: now,
        phases: {},
        steps: {},
        checks: {},
        baselines: {},
        seq: 0,
        rehearsal: env,
      };
      if (!opts.readOnly) {
        this.store.save(this.state);
        const { runId, target } = this.state;
        this.log('run.created', { runId, runbook: lr.runbook.id, version: lr.runbook.version, hash: lr.hash, target, rehearsal: env });
      }
    }
    if (!opts.readOnly) this.log('session.opened', { pid: process.pid, tookOverFrom: this.lock?.tookOverFrom });
  }

  get runbook() {
    return this.lr.runbook;
  }

  private afterLoad(clock: RunState['rehearsal']): void {
    if (this.state.rehearsal && clock && clock.offsetMs !== this.state.rehearsal.offsetMs) {
      const from = this.state.rehearsal.offset;
      this.commit({ ...this.state, rehearsal: clock }, undefined, 'clock.offset-changed', { from, to: clock.offset });
      this.notices.push(`rehearsal clock moved from +${from} to +${clock.offset} (recorded in the audit log)`);
    }
    const last = this.audit.lastAt;
    if (last && Date.now() < Date.parse(last) - 5 * 60_000) {
      // a real clock that went back: times recorded from now on would read out of order
      const data = { lastRecorded: last, now: new Date().toISOString() };
      this.log('clock.backwards', data);
      this.notices.push(`this machine's clock reads ${data.now}, before the last recorded event (${last}); check its time`);
    }
    // Only `waymark demo` (a fixed fingerprint) keeps one run while its target moves:
    // its ports are chosen afresh when the saved ones are taken. Screens and reports
    // must name the target the commands now reach, and the audit log says it moved.
    const target = this.lr.redactor.redactDeep(targetOf(this.lr));
    if (JSON.stringify(target) !== JSON.stringify(this.state.target)) {
      const from = this.state.target;
      this.commit({ ...this.state, target, updatedAt: this.now().toISOString() }, undefined, 'run.target-moved', { from, to: target });
      this.notices.push(`the target moved since this run began (${describeMove(from, target)}); the run goes on against the new one`);
    }
    const r = reduce(this.runbook, this.state, { type: 'recover' }, this.ctx());
    if (r.ok && r.state !== this.state) {
      this.commit(r.state, { type: 'recover' });
      this.notices.push(`a step was interrupted when Waymark last stopped: re-run it, mark it done or skip it (with a reason)`);
    }
    if (this.lr.hash !== this.state.runbookHash && this.state.drift?.hash !== this.lr.hash) {
      const changed: string[] = [];
      const keys = new Set([...Object.keys(this.lr.partHashes), ...Object.keys(this.state.partHashes ?? {})]);
      for (const k of keys) {
        const was = this.state.partHashes?.[k];
        const is = this.lr.partHashes[k];
        if (was !== is) changed.push(`${k} ${was === undefined ? 'added' : is === undefined ? 'removed' : 'changed'}`);
      }
      if (!changed.length) changed.push('runbook header, vars, checks or other sections changed');
      const s = { ...this.state, drift: { hash: this.lr.hash, changed }, partHashes: this.lr.partHashes };
      this.commit(s, undefined, 'runbook.drift', { changed });
    }
  }

  private ctx() {
    return { now: this.now(), operator: this.opts.operator };
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(change: Parameters<Listener>[0]): void {
    for (const fn of this.listeners) fn(change);
  }

  private log(event: string, data?: unknown): void {
    // the real time always; a rehearsal's moved time beside it
    this.audit.append(event, this.opts.operator, this.host, data, new Date(), this.state.rehearsal ? this.now() : undefined);
  }

  private commit(state: RunState, event?: EngineEvent, auditName?: string, auditData?: unknown): void {
    this.state = state;
    if (!this.opts.readOnly) {
      this.store.save(state);
      if (auditName || event) this.log(auditName ?? event!.type, auditData ?? auditPayload(event!));
    }
    this.emit({ state, event });
  }

  /** Feeds one event to the engine. Refusals are returned, not thrown. */
  dispatch(event: EngineEvent): Outcome {
    if (this.opts.readOnly) return { ok: false, error: 'this session is read-only' };
    const r = reduce(this.runbook, this.state, event, this.ctx());
    if (!r.ok) return r;
    this.commit(r.state, event);
    for (const e of r.effects) void (e.type === 'sign-phase' ? this.track(this.signPhase(e.phaseId)) : this.perform(e));
    return r;
  }

  /** Starts a step and waits until it is no longer running. */
  async runStep(event: Extract<EngineEvent, { type: 'step.start' }>): Promise<Outcome> {
    const r = this.dispatch(event);
    if (!r.ok || !r.effects.length) return r;
    await this.idle();
    return { ok: true, state: this.state, effects: [] };
  }

  private pending = new Set<Promise<void>>();
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  isBusy(): boolean {
    return this.running.size > 0;
  }

  /** Stops running steps; `why` is what the step's record will say stopped it. */
  cancel(key?: string, why = OPERATOR_CANCEL): void {
    for (const [k, ac] of this.running) if (!key || k === key) ac.abort(why);
  }

  /**
   * Takes the advisory lock in every database the runbook writes to. A lock held by
   * someone else is an error (TargetLockError); a database that cannot be reached yet
   * (it may not exist before its createdb step) is retried before each step runs.
   */
  async lockTargets(): Promise<string[]> {
    this.targetLocksWanted = true;
    const waiting: string[] = [];
    for (const [name, c] of Object.entries(this.runbook.connections)) {
      if (!c.writes || this.targetLocks.isHeld(name)) continue;
      if ((this.targetRetryAt.get(name) ?? 0) > Date.now()) continue;
      const t0 = Date.now();
      try {
        await this.targetLocks.acquire(name, this.connections.config(name));
        this.log('target.locked', { connection: name });
      } catch (e) {
        if (e instanceof TargetLockError) throw e;
        // a quick refusal (database not created yet) is retried at the next step; a slow one waits 30 s
        if (Date.now() - t0 > 1000) this.targetRetryAt.set(name, Date.now() + 30_000);
        waiting.push(`the lock in "${name}" is not held yet (${this.lr.redactor.redact((e as Error).message)}); it is taken before a later step runs`);
      }
    }
    return waiting;
  }

  private track(p: Promise<void>): Promise<void> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /**
   * Signs a sign-off with the operator's SSH key, over the chain head of the audit log
   * (which ends with the sign-off itself): rewriting the log afterwards breaks it.
   */
  private async signPhase(phaseId: string): Promise<void> {
    const ps = this.state.phases[phaseId];
    const phase = this.runbook.phases.find((p) => p.id === phaseId);
    if (!ps || !phase) return;
    const { signoffMessage } = await import('../state/signoff-signature.js');
    const head = this.audit.head;
    const at = ps.signedOffAt!;
    const message = signoffMessage({ run: this.state, phase, by: this.opts.operator, at, statement: ps.statement ?? '', head, rehearsal: this.state.rehearsal });
    try {
      const { operatorKey } = await import('../state/ssh-keys.js');
      const { signMessage } = await import('../state/sshsig.js');
      const key = operatorKey(this.opts.stateDir, this.opts.operator, this.opts.signingKey);
      const armored = await signMessage(Buffer.from(message), key.signer);
      const signature = { armored, keyFingerprint: key.fingerprint, auditHead: head, message };
      const r = reduce(this.runbook, this.state, { type: 'phase.signature', phaseId, signature }, this.ctx());
      if (r.ok) this.commit(r.state, undefined, 'phase.signature', { phaseId, keyFingerprint: key.fingerprint, auditHead: head, message, armored });
    } catch (e) {
      const reason = this.lr.redactor.redact((e as Error).message);
      this.log('phase.signature-failed', { phaseId, reason });
      this.notices.push(`the sign-off of "${phase.title}" is recorded but not signed: ${reason}`);
    }
  }

  private perform(effect: Exclude<Effect, { type: 'sign-phase' }>): Promise<void> {
    const key = `${effect.scope}/${effect.stepId}`;
    const ac = new AbortController();
    this.running.set(key, ac);
    const p = (async () => {
      try {
        const step = findStep(this.runbook, effect.scope, effect.stepId)!;
        if (this.targetLocksWanted) {
          try {
            await this.lockTargets();
          } catch (e) {
            this.finish(effect.scope, effect.stepId, { ok: false, message: (e as Error).message });
            return;
          }
        }
        if (effect.type === 'run-command') await this.performCommand(effect.scope, step, ac.signal);
        else if (effect.type === 'run-check') await this.performCheck(effect.scope, step, effect.checkId, ac.signal);
        else await this.performEditEnv(effect.scope, step);
      } catch (e) {
        this.finish(effect.scope, effect.stepId, { ok: false, message: `internal error: ${(e as Error).message}` });
      } finally {
        this.running.delete(key);
      }
    })();
    return this.track(p);
  }

  private finish(scope: string, stepId: string, data: Omit<Extract<EngineEvent, { type: 'step.finished' }>, 'type' | 'scope' | 'stepId'>): void {
    const r = reduce(this.runbook, this.state, { type: 'step.finished', scope, stepId, ...this.lr.redactor.redactDeep(data) }, this.ctx());
    if (r.ok) this.commit(r.state, { type: 'step.finished', scope, stepId, ...data });
  }

  /** The command of a step as it will run, secrets masked: for screens, plans and reports. */
  commandText(step: Step): string {
    if (step.kind !== 'command') return '';
    return stepCommandLine(step, this.lr.redactor);
  }

  private async performCommand(scope: string, step: Step, signal: AbortSignal): Promise<void> {
    if (step.kind !== 'command') return;
    const { runProcess } = await import('./process.js');
    const key = `${scope}/${step.id}`;
    const tail: OutputTailLine[] = [];
    const command = this.commandText(step);
    const timeoutMs = step.timeout ? parseDuration(step.timeout) : 30 * 60_000;
    const r = await runProcess({
      argv: step.run,
      shell: step.shell,
      cwd: step.cwd ? resolve(this.lr.dir, step.cwd) : this.lr.dir,
      env: step.env,
      timeoutMs,
      signal,
      background: step.background,
      onLine: (line) => {
        const safe = { ...line, text: this.lr.redactor.redact(line.text) };
        tail.push(safe);
        if (tail.length > TAIL_LINES) tail.shift();
        this.emit({ state: this.state, line: { ...safe, key } });
      },
    });
    const expected = step.expect_exit === undefined ? [0] : Array.isArray(step.expect_exit) ? step.expect_exit : [step.expect_exit];
    let ok = step.background ? !r.error : r.exitCode !== null && expected.includes(r.exitCode);
    let message: string | undefined;
    if (r.error) message = `could not start: ${r.error}`;
    else if (r.timedOut) message = `timed out after ${timeoutMs} ms; the process tree was killed`;
    else if (r.cancelled) message = `${typeof signal.reason === 'string' ? signal.reason : OPERATOR_CANCEL}; the process tree was killed`;
    else if (!ok) message = `exit code ${r.exitCode ?? r.signal}, expected ${expected.join(' or ')}`;
    if (ok && step.expect_output) {
      const all = tail.map((l) => l.text).join('\n');
      if (!new RegExp(step.expect_output, 'm').test(all)) {
        ok = false;
        message = `output did not match /${step.expect_output}/`;
      }
    }
    this.finish(scope, step.id, { ok: ok && !r.timedOut && !r.cancelled, exitCode: r.exitCode, durationMs: r.durationMs, outputTail: tail, command, message, interrupted: r.cancelled });
  }

  private async performCheck(scope: string, step: Step, checkId: string, signal: AbortSignal): Promise<void> {
    const result = await this.executeCheck(checkId, signal);
    this.finish(scope, step.id, { ok: result.status === 'pass' || result.status === 'warn', check: result, durationMs: result.durationMs, message: result.summary });
  }

  private async performEditEnv(scope: string, step: Step): Promise<void> {
    if (step.kind !== 'edit-env') return;
    const { applyEnvEdit, planEnvEdit, formatEnvDiff } = await import('./env-edit.js');
    const file = resolve(this.lr.dir, step.file);
    const diff = formatEnvDiff(planEnvEdit(file, step.set), (v) => this.lr.redactor.redact(v));
    const backup = applyEnvEdit(file, step.set, this.now());
    this.finish(scope, step.id, { ok: true, message: `${file} updated${backup ? ` (backup ${backup})` : ''}`, outputTail: diff.map((text) => ({ at: this.now().toISOString(), stream: 'stdout' as const, text })) });
  }

  baselineMetrics(): Record<string, Record<string, Metric>> {
    return Object.fromEntries(Object.entries(this.state.baselines).map(([k, b]) => [k, b.metrics]));
  }

  private async executeCheck(checkId: string, signal?: AbortSignal): Promise<CheckResult> {
    const { runCheck } = await import('../checks/run.js');
    const def = this.runbook.checks[checkId];
    return runCheck(checkId, def, { connections: this.connections, connectionDefs: this.runbook.connections, data: this.runbook.data, baseDir: this.lr.dir, redactor: this.lr.redactor, baselines: this.baselineMetrics() }, signal, this.now);
  }

  /** Runs a check outside a step (gate re-run, monitor, `waymark check`), recording its result. */
  async runCheck(checkId: string, opts: { record?: boolean; signal?: AbortSignal } = {}): Promise<CheckResult> {
    const result = await this.executeCheck(checkId, opts.signal);
    if (opts.record !== false && !this.opts.readOnly) this.dispatch({ type: 'check.result', result });
    return result;
  }

  recordNote(event: string, data: unknown): void {
    if (!this.opts.readOnly) this.log(event, data);
  }

  async close(): Promise<void> {
    this.cancel();
    await this.idle().catch(() => {});
    await this.connections.close();
    await this.targetLocks.releaseAll();
    if (!this.opts.readOnly) this.log('session.closed', { pid: process.pid });
    this.lock?.release();
  }
}

/** What the audit log keeps of an event: its facts, not output streams. */
/**
 * A writing session never switches a run between real and rehearsal time: a real run refuses
 * a moved clock, and a rehearsal resumed without WAYMARK_CLOCK_OFFSET keeps its own offset.
 */
function checkClock(run: RunState, env: RunState['rehearsal']): void {
  if (!run.rehearsal && env)
    throw new InputError(
      `this run is real and WAYMARK_CLOCK_OFFSET=${env.offset} would move its clock: a rehearsal is a run of its own — ` +
        'start it with the offset set from the beginning, in another --state-dir (or after waymark reset)',
    );
}

function auditPayload(event: EngineEvent): unknown {
  if (event.type === 'step.finished') {
    const { outputTail, check, ...rest } = event;
    return { ...rest, outputLines: outputTail?.length, check: check ? { id: check.id, status: check.status, summary: check.summary, metrics: check.metrics } : undefined };
  }
  if (event.type === 'check.result') return { id: event.result.id, status: event.result.status, summary: event.result.summary, metrics: event.result.metrics };
  return event;
}

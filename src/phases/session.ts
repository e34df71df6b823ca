// A live session on one run: it owns the lock, the state file and the audit log,
// feeds events to the pure engine, and carries out the effects the engine asks for.
// The TUI and the non-interactive mode both drive a Session; neither touches files.
import { createHash, randomUUID } from 'node:crypto';
import { hostName, thisProcess } from '../state/host.js';
import { basename, dirname, join, resolve } from 'node:path';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import type { LoadedRunbook } from '../runbook/loader.js';
import { InputError, NoRunError } from '../runbook/errors.js';
import { parseDuration } from '../runbook/duration.js';
import type { Step } from '../runbook/schema.js';
import type { CheckResult, Metric } from '../checks/types.js';
import { ConnectionManager, describeTarget } from '../checks/pg.js';
import { StateStore } from '../state/store.js';
import { Notifier, targetLabel } from './notify.js';
import { approvalMessage, approvalProblem, droppedApprovals } from '../state/approvals.js';
import { AuditLog, lineHash, type AuditEntry } from '../state/audit.js';
import { clearStaleTemps, DiskError, writeWhole } from '../state/durable.js';
import { describeStateUrl, openShared, readRun, type SharedRun } from '../state/pg-store.js';
import { changesState, replay } from './replay.js';
import { leftRunning, type LeftRunning } from './left-running.js';
import { Prober } from './probe.js';
import { acquireLock, readLock, alive, pidAlive, type Lock } from '../state/lock.js';
import { TargetLocks, TargetLockError } from '../state/target-lock.js';
import { runPaths, stateUrlOf, type RunPaths } from '../state/paths.js';
import { reduce, type EngineEvent, type Effect, type Outcome } from './engine.js';
import { can, findStep } from './rules.js';
import {
  approvalsInForce,
  splitStepKey,
  STATE_SCHEMA,
  type RunState,
  type OutputTailLine,
} from '../state/run-state.js';
import { stepCommandLine } from './plan.js';
import { OPERATOR_CANCEL } from './stop-reason.js';
import { OutputJudge, outputRules } from './output-judge.js';

/** A command step without timeout: is stopped after this (a hung command must not hold the run). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30 * 60_000;
/** PGCONNECT_TIMEOUT given to commands unless already set: seconds to wait for a server to answer. */
export const PG_CONNECT_TIMEOUT_S = 10;
import type { OutputLine } from '../process/run.js';

export interface SessionOptions {
  stateDir: string;
  operator: string;
  /** the signing key (a private key file, or a .pub held by ssh-agent); else WAYMARK_SIGNING_KEY, else Waymark's own */
  signingKey?: string;
  /** the clock; tests move it forward to pass wait gates */
  now?: () => Date;
  /** do not take the lock (read-only commands: status, plan, audit) */
  readOnly?: boolean;
  /** do not run the runbook's availability probes (tests that do not test them) */
  noProbes?: boolean;
  /** a fixed run identity (the demo's ports change between starts; its run must not) */
  fingerprint?: string;
  /** a read-only session follows the run another session writes: its state is read again every second */
  follow?: boolean;
  /** a state database without a run of this runbook may get a new one (never silently: --new-run, or asked) */
  newRun?: boolean;
  /** a PostgreSQL URL: the run lives in its `waymark` schema (state/pg-store.ts), not in stateDir/runs */
  stateUrl?: string;
  /** webhook retries, timeout and how long closing waits for them (tests make them short) */
  notify?: { attempts?: number; backoffMs?: number; timeoutMs?: number; closeMs?: number };
}

export type Listener = (change: { state: RunState; event?: EngineEvent; line?: OutputLine & { key: string } }) => void;

const TAIL_LINES = 40;

/**
 * WAYMARK_CLOCK_OFFSET moves the clock forward (e.g. "24h") to rehearse the waits. Set at
 * all (even "0s"), it makes a run a rehearsal for its whole life; undefined when unset.
 */
export function clockOffsetFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { offset: string; offsetMs: number } | undefined {
  const text = env.WAYMARK_CLOCK_OFFSET?.trim();
  if (text === undefined || text === '') return undefined;
  const offsetMs = parseDuration(text);
  if (offsetMs === undefined)
    throw new InputError(`WAYMARK_CLOCK_OFFSET=${text} is not a duration: write it like 24h, 8d or 1h30m`);
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

/** Throws the file system's error when the folder exists but cannot be listed (a file, no permission). */
function mayList(dir: string): void {
  try {
    readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

export function fingerprintOf(lr: LoadedRunbook): string {
  return createHash('sha256')
    .update(JSON.stringify([lr.runbook.id, targetOf(lr)]))
    .digest('hex')
    .slice(0, 12);
}

export class Session {
  readonly paths: RunPaths;
  readonly audit: AuditLog;
  readonly connections: ConnectionManager;
  readonly now: () => Date;
  state: RunState;
  notices: string[] = [];
  /** set when a write failed (a full disk): the session writes nothing more */
  failure?: DiskError;
  private leftRunningTimer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  /** the runbook's availability probes, running while this session is open */
  readonly probes: Prober[] = [];
  /** no run existed for this runbook and target before this session */
  readonly isNew: boolean;
  private store: StateStore;
  private lock?: Lock;
  /** the run's place in a shared state database, when it has one */
  private shared?: SharedRun;
  /** that database, as it may be shown (no password) */
  readonly keptIn?: string;
  private listeners = new Set<Listener>();
  private running = new Map<string, AbortController>();
  private host = hostName();
  private targetLocks: TargetLocks;
  private targetLocksWanted = false;
  /** the runbook's webhooks (notify:), told of events as they are logged */
  private notifier?: Notifier;
  private approvalTimer?: NodeJS.Timeout;
  /** when a database that timed out is tried again: not before every step (each would wait out the timeout) */
  private targetRetryAt = new Map<string, number>();

  constructor(
    readonly lr: LoadedRunbook,
    readonly opts: SessionOptions,
  ) {
    const paths = runPaths(opts.stateDir, lr.runbook.id, opts.fingerprint ?? fingerprintOf(lr));
    const url = stateUrlOf(opts.stateUrl, lr.runbook);
    if (url) {
      // the run's files are a private copy of what the database holds; reports stay in stateDir
      this.shared = openShared(url, paths.name, thisProcess(opts.operator), !!opts.readOnly);
      this.keptIn = describeStateUrl(url);
    }
    this.paths = { ...paths, ...this.shared?.files };
    // a reader that cannot look into the state folder must say so, not report "no run yet"
    if (!this.shared && opts.readOnly) mayList(dirname(this.paths.state));
    this.store = new StateStore(this.paths.state);
    let existing: RunState | undefined;
    try {
      existing = this.store.load();
      // a stray run in a team's database is never made by mistake (a wrong runbook, a typo in the URL)
      if (!existing && this.shared && !opts.readOnly && !opts.newRun && !existsSync(this.paths.audit))
        throw new NoRunError(
          `there is no run of "${lr.runbook.title}" in the state database ${this.keptIn} yet: check the runbook ` +
            'and the state URL; to start one there, say so with --new-run',
        );
    } catch (e) {
      this.shared?.release();
      throw e;
    }
    // the clock: a test's, else the real one moved by the run's rehearsal offset
    const env = opts.now ? undefined : clockOffsetFromEnv();
    if (existing && !opts.readOnly && !opts.now) checkClock(existing, env);
    const offset = opts.now ? undefined : (env ?? existing?.rehearsal);
    this.now = opts.now ?? (() => new Date(Date.now() + (offset?.offsetMs ?? 0)));
    if (!opts.readOnly) {
      const held = this.shared?.held;
      this.lock = held ? { release: () => this.shared!.release(), tookOverFrom: held.tookOverFrom } : undefined;
      this.lock ??= acquireLock(this.paths.lock, opts.operator);
      // saves of the state killed mid-way leave their temp files: the state itself is whole
      if (!held) clearStaleTemps(this.paths.state, pidAlive);
      if (this.lock.tookOverFrom) {
        const h = this.lock.tookOverFrom;
        this.notices.push(
          `took over a stale lock from ${h.operator} on ${h.host} (pid ${h.pid}, since ${h.since}); ` +
            (held ? `its connection to the state database is gone (last seen ${h.lastSeen})` : 'that process is gone'),
        );
      }
    } else this.lock = this.shared && { release: () => this.shared!.release() };
    this.connections = new ConnectionManager(lr.runbook.connections);
    this.targetLocks = new TargetLocks(lr.runbook.id, opts.operator);
    this.isNew = !existing;
    try {
      // a refusal from here on (damaged log, lost state) leaves the files as they are and the lock free
      this.audit = new AuditLog(this.paths.audit, lr.redactor, !opts.readOnly);
      this.state = existing ?? this.open(env);
      if (!opts.readOnly) {
        this.startNotifier();
        if (existing) this.afterLoad(env);
        this.takeApprovals();
        // another operator's approval lands in the approvals folder while this session is open
        this.approvalTimer = setInterval(() => this.takeApprovals(), 2000);
        this.approvalTimer.unref();
        this.note('session.opened', { pid: process.pid, tookOverFrom: this.lock?.tookOverFrom });
        this.signUnsigned();
        if (!opts.noProbes) this.startProbes();
      }
    } catch (e) {
      this.lock?.release();
      throw e;
    }
    if (opts.readOnly && opts.follow) {
      this.followTimer = setInterval(() => this.reread(), 1000);
      this.followTimer.unref();
    }
    if (existing && opts.readOnly) {
      // A reader shows a step whose session died as interrupted, without writing anything.
      const holder = this.shared ? undefined : readLock(this.paths.lock);
      if (this.shared ? !this.shared.holder?.connected : !holder || !alive(holder)) {
        const r = reduce(
          this.runbook,
          this.state,
          { type: 'recover', keep: this.stillRunning().map((o) => o.key), host: this.host },
          this.ctx(),
        );
        if (r.ok) this.state = r.state;
      }
    }
  }

  /** A new run: only where neither a state file nor an audit log of this run exists. */
  private open(env: RunState['rehearsal']): RunState {
    const lr = this.lr;
    const opts = this.opts;
    if (this.audit.head.seq > 0) {
      // killed between writing run.created and the first state: the log alone is the run, replayed
      const entries = this.audit.lines.map((l) => JSON.parse(l) as AuditEntry);
      if (!opts.readOnly && entries.filter(changesState).every((e) => e.event === 'run.created')) {
        const state = replay(this.runbook, undefined, entries, this.audit.lines);
        if (state) {
          this.state = state;
          this.store.save(state);
          this.notices.push(
            'the run had been created but its state not yet saved (a crash): rebuilt from the audit log',
          );
          return state;
        }
      }
      throw new InputError(
        `there is no state file ${this.paths.state}, but the audit log ${this.paths.audit} holds a run of ` +
          `${this.audit.head.seq} events: rebuild its state with \`waymark repair\`, or archive both with ` +
          `\`waymark reset\``,
      );
    }
    const now = this.now().toISOString();
    const state: RunState = {
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
    if (opts.readOnly) return state;
    const torn = this.audit.setAsideTorn(); // before the first line of the new run
    const { runId, target, fingerprint, partHashes } = state;
    this.state = state;
    const data = {
      runId,
      runbook: lr.runbook.id,
      version: lr.runbook.version,
      hash: lr.hash,
      target,
      rehearsal: env,
      fingerprint,
      partHashes,
    };
    this.commit(state, undefined, 'run.created', data);
    if (torn) {
      this.notices.push(
        `the audit log ended in a line cut short by a crash (${torn.bytes} bytes); it was set aside in ${torn.file}`,
      );
      this.note('audit.torn-line-set-aside', torn);
    }
    return this.state;
  }

  get runbook() {
    return this.lr.runbook;
  }

  /**
   * The log is written first: it may hold events the state does not (a crash between the two
   * writes), and those are replayed. A state that includes lines the log no longer has means
   * the log's end was removed or rewritten: nothing is built on that.
   */
  private catchUp(): void {
    const head = this.state.audit;
    if (!head) return this.setAsideTorn(); // a state of schema 1 named no head
    const lines = this.audit.lines;
    if (lines.length < head.seq || lineHash(lines[head.seq - 1]) !== head.hash)
      throw new InputError(
        `the audit log ${this.paths.audit} no longer has line ${head.seq}, the last event the state includes: ` +
          'its end was removed or rewritten. See `waymark audit --verify`; `waymark repair` rebuilds the ' +
          'state from the log as it is',
      );
    this.setAsideTorn();
    const entries = lines.slice(head.seq).map((l) => JSON.parse(l) as AuditEntry);
    const missed = entries.filter(changesState).length;
    if (!missed) return;
    const state = replay(this.runbook, this.state, entries, lines)!;
    this.state = state;
    this.store.save(state);
    this.notices.push(
      `${missed} event(s) in the audit log were not in the state (a crash between the two writes): replayed`,
    );
  }

  /** Probes run in the background of the session; what they see goes to the audit log. */
  private startProbes(): void {
    for (const [id, def] of Object.entries(this.runbook.probes ?? {})) {
      const p = new Prober(id, def, {
        during: () => [...this.running.keys()][0],
        onWindow: (w) => {
          this.note('probe.outage', w);
          this.emit({ state: this.state });
        },
        onSummary: (sum) => this.note('probe.summary', sum),
      });
      this.probes.push(p);
      p.start();
    }
    if (this.probes.length) {
      // a summary at least every 10 s, so each phase's span has the probe's record
      this.probeTimer = setInterval(() => this.probes.forEach((p) => p.flush()), 10_000);
      this.probeTimer.unref?.();
    }
  }

  /** Steps a killed session left running whose process group is still alive on this host. */
  stillRunning(): LeftRunning[] {
    return leftRunning(this.runbook, this.state, this.host, new Set(this.running.keys()));
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
    this.note('step.left-running-stopped', { key, pid: o.pid });
    return true;
  }

  /** Watches the process groups left running: each is recorded as interrupted once it ends. */
  private watchLeftRunning(): void {
    if (this.leftRunningTimer) return;
    this.leftRunningTimer = setInterval(() => {
      const alive = this.stillRunning().map((o) => o.key);
      const event = { type: 'recover', keep: alive, host: this.host } as const;
      const r = reduce(this.runbook, this.state, event, this.ctx());
      if (r.ok && r.state !== this.state) this.safeCommit(r.state, event);
      if (!alive.length) {
        clearInterval(this.leftRunningTimer);
        this.leftRunningTimer = undefined;
      }
    }, 1000);
    this.leftRunningTimer.unref?.();
  }

  private afterLoad(clock: RunState['rehearsal']): void {
    this.catchUp();
    if (this.state.rehearsal && clock && clock.offsetMs !== this.state.rehearsal.offsetMs) {
      const from = this.state.rehearsal.offset;
      this.commit({ ...this.state, rehearsal: clock }, undefined, 'clock.offset-changed', {
        from,
        to: clock.offset,
        rehearsal: clock,
      });
      this.notices.push(`rehearsal clock moved from +${from} to +${clock.offset} (recorded in the audit log)`);
    }
    const last = this.audit.lastAt;
    if (last && Date.now() < Date.parse(last) - 5 * 60_000) {
      // a real clock that went back: times recorded from now on would read out of order
      const data = { lastRecorded: last, now: new Date().toISOString() };
      this.note('clock.backwards', data);
      this.notices.push(
        `this machine's clock reads ${data.now}, before the last recorded event (${last}); check its time`,
      );
    }
    // Only `waymark demo` (a fixed fingerprint) keeps one run while its target moves:
    // its ports are chosen afresh when the saved ones are taken. Screens and reports
    // must name the target the commands now reach, and the audit log says it moved.
    const target = this.lr.redactor.redactDeep(targetOf(this.lr));
    if (JSON.stringify(target) !== JSON.stringify(this.state.target)) {
      const from = this.state.target;
      this.commit({ ...this.state, target, updatedAt: this.now().toISOString() }, undefined, 'run.target-moved', {
        from,
        to: target,
      });
      this.notices.push(
        `the target moved since this run began (${describeMove(from, target)}); the run goes on against the new one`,
      );
    }
    const left = this.stillRunning();
    const keep = left.map((o) => o.key);
    const recover = { type: 'recover', keep, host: this.host } as const;
    const r = reduce(this.runbook, this.state, recover, this.ctx());
    if (r.ok && r.state !== this.state) {
      this.commit(r.state, recover);
      this.notices.push(
        `a step was interrupted when Waymark last stopped: re-run it, mark it done or skip it (with a reason)`,
      );
    }
    for (const [key, st] of Object.entries(this.state.steps)) {
      const { scope, stepId } = splitStepKey(key);
      if (st.elsewhere)
        this.notices.push(
          `"${findStep(this.runbook, scope, stepId)?.title ?? key}" may still be running on ${st.elsewhere.host} ` +
            `(pid ${st.elsewhere.pid}, process group ${st.elsewhere.pid}), where a Waymark stopped while it ran: ` +
            'before it is re-run or marked done, confirm it has stopped there (you are asked how you know)',
        );
    }
    for (const o of left)
      this.notices.push(
        `"${o.title}" still runs (process group ${o.pid}, left by a stopped Waymark); it will not start ` +
          `twice: wait, or x stops it`,
      );
    if (left.length) this.watchLeftRunning();
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
      this.commit(s, undefined, 'runbook.drift', { changed, hash: this.lr.hash, partHashes: this.lr.partHashes });
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

  /**
   * Writes an event (or, without one, the state alone) and the state that results from it:
   * to a shared store first, in one transaction, then the log (flushed), then the state file,
   * which names the log's head it includes.
   */
  private persist(state: RunState, event?: string, data?: unknown): RunState {
    // the real time always; a rehearsal's moved time beside it
    const clock = this.state?.rehearsal ? this.now() : undefined;
    const p = event ? this.audit.prepare(event, this.opts.operator, this.host, data, new Date(), clock) : undefined;
    const next = { ...state, audit: p ? p.head : this.audit.head };
    this.shared?.held?.commit(next.runId, p ? [{ seq: p.entry.seq, line: p.line }] : [], JSON.stringify(next, null, 2));
    if (p) {
      this.audit.write(p);
      // this.state is still the state before the event
      this.notifier?.observe(p.entry, this.state, p.head);
    }
    this.state = next;
    this.store.save(next);
    return next;
  }

  /**
   * Approvals other operators dropped into the run's approvals folder (state/approvals.ts) go
   * into the log and the state when they are signed, sign the sign-off in force, and the rules
   * let them count; any other is set aside as .refused, with why in the log. Returns how many
   * were taken in.
   */
  takeApprovals(): number {
    if (this.opts.readOnly || this.failure) return 0;
    let taken = 0;
    this.pullApprovals();
    for (const { file, dropped } of droppedApprovals(this.paths.approvals)) {
      const a = dropped?.approval;
      const phase = this.runbook.phases.find((p) => p.id === dropped?.phaseId);
      const ps = phase ? this.state.phases[phase.id] : undefined;
      // already in: nothing to do (the file stays, so the same key cannot drop another)
      if (
        a &&
        ps?.history?.some((h) => h.approvals?.some((x) => x.keyFingerprint === a.keyFingerprint && x.at === a.at))
      )
        continue;
      const last = ps?.history?.[ps.history.length - 1];
      let problem: string | undefined;
      if (!a || !phase) problem = 'it is not an approval of a phase of this runbook';
      else if (!ps || ps.status !== 'signed-off' || last?.kind !== 'signed-off')
        problem = `"${phase.title}" is not signed off`;
      else {
        const expected = approvalMessage({ run: this.state, phase, signoff: last, by: a.by, host: a.host, at: a.at });
        problem = approvalProblem(a, expected);
      }
      if (!problem) {
        const r = this.dispatch({ type: 'phase.approve', phaseId: phase!.id, approval: a! });
        if (r.ok) {
          taken++;
          continue;
        }
        problem = r.error;
      }
      try {
        renameSync(file, `${file}.refused`);
        this.shared?.held?.refuseApproval(basename(file));
      } catch {
        /* another session set it aside first */
        continue;
      }
      this.note('approval.refused', { file: basename(file), by: a?.by, phaseId: dropped?.phaseId, problem });
      this.notices.push(`an approval by ${a?.by ?? 'someone'} was refused: ${problem}`);
    }
    if (taken) this.emit({ state: this.state });
    return taken;
  }

  /** A shared store's approvals come into the private copy's folder, where the rest goes as on one machine. */
  private pullApprovals(): void {
    const held = this.shared?.held;
    if (!held) return;
    let rows;
    try {
      rows = held.approvals();
    } catch (e) {
      if (!(e instanceof DiskError)) throw e;
      return void (this.failure = e);
    }
    for (const r of rows) {
      const file = join(this.paths.approvals, r.name);
      if (!existsSync(file) && !existsSync(`${file}.refused`)) writeWhole(file, r.body, 0o600);
    }
  }

  /**
   * Signs this session's operator's approval of the sign-off in force and drops it into the
   * approvals folder (state/approvals.ts); a read-only session may, since nothing of the run is
   * written: its writer takes it in. `waymark approve` does this while the signer's session is open.
   */
  async dropApproval(phaseId: string): Promise<{ ok: true; keyFingerprint: string } | { ok: false; error: string }> {
    const phase = this.runbook.phases.find((p) => p.id === phaseId);
    if (!phase) return { ok: false, error: `unknown phase "${phaseId}"` };
    const { operatorKey } = await import('../state/ssh-keys.js');
    const { signMessage } = await import('../state/sshsig.js');
    const { dropApproval, dropShared, AlreadyApproved } = await import('../state/approvals.js');
    let key;
    try {
      key = operatorKey(this.opts.stateDir, this.opts.operator, this.opts.signingKey);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
    const by = this.opts.operator;
    const v = can(
      this.runbook,
      this.state,
      { type: 'approve', phaseId, by, keyFingerprint: key.fingerprint },
      this.now(),
    );
    if (!v.ok) return { ok: false, error: v.why };
    const ps = this.state.phases[phaseId];
    const signoff = ps.history![ps.history!.length - 1];
    const at = this.now().toISOString();
    const message = approvalMessage({ run: this.state, phase, signoff, by, host: this.host, at });
    const armored = await signMessage(Buffer.from(message), key.signer);
    const approval = { by, host: this.host, at, keyFingerprint: key.fingerprint, armored, message };
    try {
      const url = stateUrlOf(this.opts.stateUrl, this.runbook);
      if (url) dropShared(url, this.paths, phaseId, approval);
      else dropApproval(this.paths.approvals, phaseId, approval);
    } catch (e) {
      if (e instanceof AlreadyApproved) return { ok: false, error: e.message };
      throw e;
    }
    return { ok: true, keyFingerprint: key.fingerprint };
  }

  /** This session's operator approves another person's sign-off of a phase (the TUI's A), taken in at once. */
  async approve(
    phaseId: string,
  ): Promise<{ ok: true; given: number; of: number; handedOver?: boolean } | { ok: false; error: string }> {
    const dropped = await this.dropApproval(phaseId);
    if (!dropped.ok) return dropped;
    const of = this.runbook.phases.find((p) => p.id === phaseId)!.approvals;
    // a follower's approval is taken in by the session that holds the run, within two seconds
    if (this.opts.readOnly)
      return { ok: true, given: 2 + approvalsInForce(this.state.phases[phaseId]).length, of, handedOver: true };
    this.takeApprovals();
    const given = approvalsInForce(this.state.phases[phaseId]);
    if (!given.some((x) => x.keyFingerprint === dropped.keyFingerprint))
      return { ok: false, error: this.notices[this.notices.length - 1] ?? 'the approval was refused' };
    return { ok: true, given: 1 + given.length, of: this.runbook.phases.find((p) => p.id === phaseId)!.approvals };
  }

  /** The runbook's webhooks; one whose URL is empty (its var not set) is off, and the operator is told. */
  private startNotifier(): void {
    const targets = this.runbook.notify ?? [];
    const on = targets.filter((t) => t.url.trim());
    targets.forEach((t, i) => {
      if (!t.url.trim()) this.notices.push(`notify: webhook ${i + 1} is off: its URL is empty (is its var set?)`);
      else if (!/^https?:\/\//i.test(t.url)) this.notices.push(`notify: ${targetLabel(t, i)} is not an http(s) URL`);
    });
    if (!on.length) return;
    this.notifier = new Notifier(on, {
      runbook: this.runbook,
      runId: this.state.runId,
      redactor: this.lr.redactor,
      record: (event, data) => this.note(event, data),
      ...this.opts.notify,
    });
  }

  /**
   * A note (a session opened, a lock taken, a report written) changes no state, but the state
   * still names the log's new head: then no line of the log, not even the last, can be
   * removed or rewritten unseen.
   */
  private note(event: string, data?: unknown): void {
    if (this.failure) return;
    try {
      this.persist(this.state, event, data);
    } catch (e) {
      if (!(e instanceof DiskError)) throw e;
      this.failure = e;
    }
  }

  /** A line cut short by a crash mid-append, after every line the state includes, is set aside and recorded. */
  private setAsideTorn(): void {
    const q = this.audit.setAsideTorn();
    if (!q) return;
    this.notices.push(
      `the audit log ended in a line cut short by a crash (${q.bytes} bytes); it was set aside in ${q.file}`,
    );
    this.note('audit.torn-line-set-aside', q);
  }

  /** Write-ahead: the event goes to the audit log (flushed), then the state that names it. */
  private commit(state: RunState, event?: EngineEvent, auditName?: string, auditData?: unknown): void {
    let next = state;
    if (!this.opts.readOnly) {
      const name = auditName ?? event?.type;
      next = this.persist(state, name, name ? (auditData ?? auditPayload(event!)) : undefined);
    }
    this.state = next;
    this.emit({ state: next, event });
  }

  /** A commit whose failure (a full disk) stops the session's writes instead of throwing. */
  private safeCommit(state: RunState, event?: EngineEvent, auditName?: string, auditData?: unknown): boolean {
    if (this.failure) return false;
    try {
      this.commit(state, event, auditName, auditData);
      return true;
    } catch (e) {
      if (!(e instanceof DiskError)) throw e;
      // nothing more is written: the next start resumes from what is on disk
      this.failure = e;
      this.emit({ state: this.state });
      return false;
    }
  }

  /** Feeds one event to the engine. Refusals (and a state that could not be saved) are returned, not thrown. */
  dispatch(event: EngineEvent): Outcome {
    if (this.opts.readOnly)
      return { ok: false, error: 'this session follows the run another session holds: nothing is changed from here' };
    if (this.failure) return { ok: false, error: this.failure.message };
    const r = reduce(this.runbook, this.state, event, this.ctx());
    if (!r.ok) return r;
    // the probes' record up to a sign-off belongs to the phase signed off
    if (r.effects.some((e) => e.type === 'sign-phase')) this.probes.forEach((p) => p.flush());
    if (!this.safeCommit(r.state, event)) return { ok: false, error: this.failure!.message };
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
    // a reader runs nothing against the targets: it takes no lock in them
    if (this.opts.readOnly) return [];
    this.targetLocksWanted = true;
    const waiting: string[] = [];
    for (const [name, c] of Object.entries(this.runbook.connections)) {
      if (!c.writes || this.targetLocks.isHeld(name)) continue;
      if ((this.targetRetryAt.get(name) ?? 0) > Date.now()) continue;
      const t0 = Date.now();
      try {
        await this.targetLocks.acquire(name, this.connections.config(name));
        this.note('target.locked', { connection: name });
      } catch (e) {
        if (e instanceof TargetLockError) throw e;
        // a quick refusal (database not created yet) is retried at the next step; a slow one waits 30 s
        if (Date.now() - t0 > 1000) this.targetRetryAt.set(name, Date.now() + 30_000);
        waiting.push(
          `the lock in "${name}" is not held yet (${this.lr.redactor.redact((e as Error).message)}); it is ` +
            `taken before a later step runs`,
        );
      }
    }
    return waiting;
  }

  private track(p: Promise<void>): Promise<void> {
    p = p.catch((e) => {
      if (!(e instanceof DiskError)) throw e;
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  /**
   * A sign-off in force that its own operator made but that was never signed (the disk was full,
   * the key could not be read): signed now, over the chain head as it is now, by that operator
   * only. Nobody else can sign for them; the record says it stays unsigned until then.
   */
  private signUnsigned(): void {
    const signing: Array<Promise<void>> = [];
    for (const [phaseId, ps] of Object.entries(this.state.phases)) {
      const last = ps.history?.[ps.history.length - 1];
      if (
        ps.status === 'signed-off' &&
        last?.kind === 'signed-off' &&
        !last.signature &&
        last.by === this.opts.operator
      )
        signing.push(this.track(this.signPhase(phaseId)));
    }
    this.lateSignatures = Promise.all(signing).then(() => undefined);
  }

  private lateSignatures: Promise<void> = Promise.resolve();
  private followTimer?: NodeJS.Timeout;

  /**
   * A follower reads the run again (the folder's state file, or the database's row) and shows it
   * when another session changed it. It never writes: not the state, not the log, not a lock.
   */
  private reread(): void {
    try {
      if (this.shared) {
        const { checkout } = readRun(stateUrlOf(this.opts.stateUrl, this.runbook)!, this.paths.name);
        if (checkout.state === undefined) return;
        writeWhole(this.paths.state, checkout.state);
      }
      const next = this.store.load();
      if (!next || next.updatedAt === this.state.updatedAt) return;
      this.state = next;
      this.emit({ state: next });
    } catch {
      /* a file being replaced, or the database away for a moment: the next second tries again */
    }
  }
  /** Resolves once the sign-offs signed late as this session opened are signed (a report waits for them). */
  signaturesSettled(): Promise<void> {
    return this.lateSignatures;
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
    const message = signoffMessage({
      run: this.state,
      phase,
      by: this.opts.operator,
      at,
      statement: ps.statement ?? '',
      head,
      rehearsal: this.state.rehearsal,
    });
    try {
      const { operatorKey } = await import('../state/ssh-keys.js');
      const { signMessage } = await import('../state/sshsig.js');
      const key = operatorKey(this.opts.stateDir, this.opts.operator, this.opts.signingKey);
      const armored = await signMessage(Buffer.from(message), key.signer);
      const signature = { armored, keyFingerprint: key.fingerprint, auditHead: head, message };
      const r = reduce(this.runbook, this.state, { type: 'phase.signature', phaseId, signature }, this.ctx());
      if (r.ok)
        this.safeCommit(r.state, undefined, 'phase.signature', {
          phaseId,
          keyFingerprint: key.fingerprint,
          auditHead: head,
          message,
          armored,
        });
    } catch (e) {
      const reason = this.lr.redactor.redact((e as Error).message);
      this.note('phase.signature-failed', { phaseId, reason });
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
        if (e instanceof DiskError) this.failure ??= e;
        else
          this.finish(effect.scope, effect.stepId, { ok: false, message: `internal error: ${(e as Error).message}` });
      } finally {
        this.running.delete(key);
      }
    })();
    return this.track(p);
  }

  private finish(
    scope: string,
    stepId: string,
    data: Omit<Extract<EngineEvent, { type: 'step.finished' }>, 'type' | 'scope' | 'stepId'>,
  ): void {
    const r = reduce(
      this.runbook,
      this.state,
      { type: 'step.finished', scope, stepId, ...this.lr.redactor.redactDeep(data) },
      this.ctx(),
    );
    if (r.ok) this.safeCommit(r.state, { type: 'step.finished', scope, stepId, ...data });
  }

  /** The command of a step as it will run, secrets masked: for screens, plans and reports. */
  commandText(step: Step): string {
    if (step.kind !== 'command') return '';
    return stepCommandLine(step, this.lr.redactor);
  }

  private async performCommand(scope: string, step: Step, signal: AbortSignal): Promise<void> {
    if (step.kind !== 'command') return;
    const { runProcess } = await import('../process/run.js');
    const key = `${scope}/${step.id}`;
    const tail: OutputTailLine[] = [];
    const judge = new OutputJudge(outputRules(step));
    const command = this.commandText(step);
    const timeoutMs = step.timeout ? parseDuration(step.timeout) : DEFAULT_COMMAND_TIMEOUT_MS;
    const r = await runProcess({
      argv: step.run,
      shell: step.shell,
      cwd: step.cwd ? resolve(this.lr.dir, step.cwd) : this.lr.dir,
      // libpq tools (psql, createdb, pg_dump) and node-postgres wait forever for a silent server
      // by default: 10 s unless the environment or the step says otherwise
      env: {
        ...(process.env.PGCONNECT_TIMEOUT ? {} : { PGCONNECT_TIMEOUT: String(PG_CONNECT_TIMEOUT_S) }),
        ...step.env,
      },
      timeoutMs,
      signal,
      background: step.background,
      onStart: (pid) => {
        // the process group is recorded before the step can outlive us: a later session must not start a second copy
        if (pid === undefined) return;
        const ev: EngineEvent = { type: 'step.process', scope, stepId: step.id, pid, host: this.host };
        const r = reduce(this.runbook, this.state, ev, this.ctx());
        if (r.ok) this.safeCommit(r.state, ev);
      },
      onLine: (line) => {
        const safe = { ...line, text: this.lr.redactor.redact(line.text) };
        judge.line(safe.text);
        tail.push(safe);
        if (tail.length > TAIL_LINES) tail.shift();
        this.emit({ state: this.state, line: { ...safe, key } });
      },
    });
    const expected =
      step.expect_exit === undefined ? [0] : Array.isArray(step.expect_exit) ? step.expect_exit : [step.expect_exit];
    let ok = step.background ? !r.error : r.exitCode !== null && expected.includes(r.exitCode);
    let message: string | undefined;
    if (r.error) message = `could not start: ${r.error}`;
    else if (r.timedOut) {
      const took =
        timeoutMs! >= 120_000 ? `${Math.round(timeoutMs! / 60_000)} min` : `${Math.round(timeoutMs! / 1000)} s`;
      message =
        `timed out after ` +
        `${took}${step.timeout ? '' : ' (the default; give the step a timeout: to change it)'}; the process ` +
        `tree was killed`;
    } else if (r.cancelled)
      message = `${typeof signal.reason === 'string' ? signal.reason : OPERATOR_CANCEL}; the process tree was killed`;
    else if (!ok) message = `exit code ${r.exitCode ?? r.signal}, expected ${expected.join(' or ')}`;
    if (judge.active && !r.error && !r.timedOut && !r.cancelled) {
      const v = judge.verdict();
      // the exit code's sentence first, when it failed too: both are why
      if (ok) message = v.message;
      else if (!v.ok) message = `${message}; ${v.message}`;
      ok = ok && v.ok;
    }
    this.finish(scope, step.id, {
      ok: ok && !r.timedOut && !r.cancelled,
      exitCode: r.exitCode,
      durationMs: r.durationMs,
      outputTail: tail,
      command,
      message,
      interrupted: r.cancelled,
    });
  }

  private async performCheck(scope: string, step: Step, checkId: string, signal: AbortSignal): Promise<void> {
    // a long check's progress shows as the step's output, as a command's lines do
    const key = `${scope}/${step.id}`;
    const progress = (text: string) =>
      this.emit({
        state: this.state,
        line: { at: this.now().toISOString(), stream: 'stdout', text: this.lr.redactor.redact(text), key },
      });
    const result = await this.executeCheck(checkId, signal, progress);
    this.finish(scope, step.id, {
      ok: result.status === 'pass' || result.status === 'warn',
      check: result,
      durationMs: result.durationMs,
      message: result.summary,
    });
  }

  private async performEditEnv(scope: string, step: Step): Promise<void> {
    if (step.kind !== 'edit-env') return;
    const { applyEnvEdit, planEnvEdit, formatEnvDiff } = await import('./env-edit.js');
    const file = resolve(this.lr.dir, step.file);
    const diff = formatEnvDiff(planEnvEdit(file, step.set), (v) => this.lr.redactor.redact(v));
    const backup = applyEnvEdit(file, step.set, this.now());
    this.finish(scope, step.id, {
      ok: true,
      message: `${file} updated${backup ? ` (backup ${backup})` : ''}`,
      outputTail: diff.map((text) => ({ at: this.now().toISOString(), stream: 'stdout' as const, text })),
    });
  }

  baselineMetrics(): Record<string, Record<string, Metric>> {
    return Object.fromEntries(Object.entries(this.state.baselines).map(([k, b]) => [k, b.metrics]));
  }

  private async executeCheck(
    checkId: string,
    signal?: AbortSignal,
    progress?: (text: string) => void,
  ): Promise<CheckResult> {
    const { runCheck } = await import('../checks/run.js');
    const def = this.runbook.checks[checkId];
    const ctx = {
      connections: this.connections,
      connectionDefs: this.runbook.connections,
      data: this.runbook.data,
      baseDir: this.lr.dir,
      redactor: this.lr.redactor,
      baselines: this.baselineMetrics(),
      artifactsDir: this.paths.artifacts,
      progress,
    };
    return runCheck(checkId, def, ctx, signal, this.now);
  }

  /** Runs a check outside a step (gate re-run, monitor, `waymark check`), recording its result. */
  async runCheck(
    checkId: string,
    opts: { record?: boolean; signal?: AbortSignal; progress?: (text: string) => void } = {},
  ): Promise<CheckResult> {
    const result = await this.executeCheck(checkId, opts.signal, opts.progress);
    if (opts.record !== false && !this.opts.readOnly) this.dispatch({ type: 'check.result', result });
    return result;
  }

  recordNote(event: string, data: unknown): void {
    if (!this.opts.readOnly) this.note(event, data);
  }

  async close(): Promise<void> {
    this.cancel();
    await this.idle().catch(() => {});
    await this.connections.close();
    if (this.leftRunningTimer) clearInterval(this.leftRunningTimer);
    if (this.approvalTimer) clearInterval(this.approvalTimer);
    if (this.followTimer) clearInterval(this.followTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    for (const p of this.probes) p.stop();
    await this.targetLocks.releaseAll();
    // what is still going out gets a moment; what cannot go is recorded as not sent
    await this.notifier?.close(this.opts.notify?.closeMs);
    try {
      if (!this.opts.readOnly && !this.failure) this.note('session.closed', { pid: process.pid });
    } finally {
      this.lock?.release();
    }
  }
}

/** A check result without its evidence rows: enough to replay it into a state. */
function briefCheck(c: CheckResult): CheckResult {
  const { evidence: _, ...rest } = c;
  return rest;
}

/** What the audit log keeps of an event: its facts, not output streams. */
/**
 * A writing session never switches a run between real and rehearsal time: a real run refuses
 * a moved clock, and a rehearsal resumed without WAYMARK_CLOCK_OFFSET keeps its own offset.
 */
function checkClock(run: RunState, env: RunState['rehearsal']): void {
  if (!run.rehearsal && env)
    throw new InputError(
      `this run is real and WAYMARK_CLOCK_OFFSET=${env.offset} would move its clock: a rehearsal is a run of ` +
        `its own — ` +
        'start it with the offset set from the beginning, in another --state-dir (or after waymark reset)',
    );
}

function auditPayload(event: EngineEvent): unknown {
  if (event.type === 'step.finished') {
    const { outputTail, check, ...rest } = event;
    return { ...rest, outputLines: outputTail?.length, check: check ? briefCheck(check) : undefined };
  }
  if (event.type === 'check.result') return briefCheck(event.result);
  return event;
}

// The run's record as a session keeps it: the state in memory, committed to the run's store with
// its audit line first (write-ahead), listeners told of each change, and the first write that
// fails (a full disk) remembered, after which nothing more is written. Every change of state
// goes through `reduce` before it gets here.
import type { LoadedRunbook } from '../load/loader.js';
import type { AuditLog } from '../state/audit.js';
import { DiskError } from '../state/durable.js';
import type { RunStore } from '../state/run-store.js';
import type { RunState } from '../state/run-state.js';
import type { OutputLine } from '../process/run.js';
import { reduce, type EngineEvent } from './engine.js';
import { auditPayload } from './audit-payload.js';
import type { Notifier } from './notify.js';

export type Listener = (change: { state: RunState; event?: EngineEvent; line?: OutputLine & { key: string } }) => void;

/** What a commit records beside the state: the engine event, or an audit event's name and data; its time. */
export interface Entry {
  event?: EngineEvent;
  name?: string;
  data?: unknown;
  /** the time `reduce` was given */
  at?: Date;
}

export interface Author {
  operator: string;
  host: string;
  /** the run's clock (a rehearsal's is moved) */
  now: () => Date;
  /** a reader records nothing: its state changes stay in memory */
  readOnly: boolean;
}

export class Recorder {
  state!: RunState;
  /** set when a write failed (a full disk): nothing more is written */
  failure?: DiskError;
  /** what the operator is told of (a lock taken over, a refusal, a crash recovered from) */
  readonly notices: string[] = [];
  /** the runbook's webhooks, told of each line written */
  notifier?: Notifier;
  private readonly listeners = new Set<Listener>();

  constructor(
    readonly lr: LoadedRunbook,
    readonly store: RunStore,
    readonly audit: AuditLog,
    readonly by: Author,
  ) {}

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(change: Parameters<Listener>[0]): void {
    for (const fn of this.listeners) fn(change);
  }

  notice(text: string): void {
    this.notices.push(text);
  }

  /** What `reduce` is given: the run's clock now, and who acts. Its time is the time the event is logged at. */
  ctx() {
    return { now: this.by.now(), operator: this.by.operator };
  }

  /**
   * Write-ahead: the event goes to the audit log (flushed), then the state that names the log's
   * head; a database store commits both in one transaction first (state/run-store.ts). The line
   * carries the time the engine was given (`at`), so replaying the log gives the same state back:
   * a rehearsal's moved time as its clock, beside the real time.
   */
  private persist(state: RunState, event?: string, data?: unknown, at = this.by.now()): void {
    const rehearsal = !!this.state?.rehearsal;
    const { operator, host } = this.by;
    const line = event
      ? this.audit.prepare(event, operator, host, data, rehearsal ? new Date() : at, rehearsal ? at : undefined)
      : undefined;
    const next = { ...state, audit: line ? line.head : this.audit.head };
    this.store.commit(this.audit, next, line);
    // the notifier compares with the state before the event
    if (line) this.notifier?.observe(line.entry, this.state, line.head);
    this.state = next;
  }

  /**
   * A state and what led to it, recorded and told: the engine event (or an audit event named and
   * described here), and the time `reduce` was given.
   */
  commit(state: RunState, e: Entry = {}): void {
    const name = e.name ?? e.event?.type;
    if (this.by.readOnly) this.state = state;
    else this.persist(state, name, name ? (e.data ?? auditPayload(e.event!)) : undefined, e.at);
    this.emit({ state: this.state, event: e.event });
  }

  /** A state saved as it is, with no line of its own (rebuilt from the log). */
  save(state: RunState): void {
    this.store.commit(this.audit, (this.state = state));
  }

  /** A commit whose failure (a full disk) stops the writes instead of throwing. */
  safeCommit(state: RunState, e: Entry = {}): boolean {
    if (this.failure) return false;
    try {
      this.commit(state, e);
      return true;
    } catch (e) {
      if (!(e instanceof DiskError)) throw e;
      // nothing more is written: the next start resumes from what is on disk
      this.failure = e;
      this.emit({ state: this.state });
      return false;
    }
  }

  /**
   * A note (a session opened, a lock taken, a report written) changes no state, but the state
   * still names the log's new head: then no line of the log, not even the last, can be removed
   * or rewritten unseen.
   */
  note(event: string, data?: unknown): void {
    if (this.failure) return;
    try {
      this.persist(this.state, event, data);
    } catch (e) {
      if (!(e instanceof DiskError)) throw e;
      this.failure = e;
    }
  }

  /**
   * An event of the session's own (a fact found on opening, a step's end): through the engine,
   * recorded when it changes the state. `strict`: a failed write throws; `reduced`: what the
   * engine sees, when it differs from what the log records.
   */
  apply(event: EngineEvent, o: { strict?: boolean; reduced?: EngineEvent } = {}): void {
    const ctx = this.ctx();
    const r = reduce(this.lr.runbook, this.state, o.reduced ?? event, ctx);
    if (!r.ok || r.state === this.state) return;
    if (o.strict) this.commit(r.state, { event, at: ctx.now });
    else this.safeCommit(r.state, { event, at: ctx.now });
  }
}

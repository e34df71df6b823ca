// A run kept in PostgreSQL, for a team: the state, the audit log's lines (byte for byte, with
// their hash chain) and the approvals live in a `waymark` schema, and one session at a time
// holds the run by an advisory lock (pg-store-worker.ts). The session works on a private copy
// of the run's files, checked out when it opens; every event is written to the database first,
// in one transaction with the state it leads to (the version checked), and only then to the
// copy. So the database is always the whole truth and the copy is never more than a cache.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyPgError } from '../checks/pg.js';
import { DiskError, writeWhole } from './durable.js';
import { LockError, type LockInfo } from './lock.js';
import type { Checkout, Holder, Reply, Request } from './pg-store-worker.js';

export type { Checkout, Holder };

/** The state database said no, or could not be reached: a sentence, and nothing more is written. */
export class StateDbError extends DiskError {
  override name = 'StateDbError';
  constructor(
    message: string,
    /** conflict: the run was there already, or changed under this writer */
    readonly kind?: 'conflict',
  ) {
    super(message);
  }
}

/** Where a state URL points, without its password or options: safe to print and to record. */
export function describeStateUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'the state database (its URL is not readable)';
  }
}

function workerFile(): string {
  // beside this module when built (dist/state/, dist/bundle/); from source, the built one
  const here = new URL('./pg-store-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return fileURLToPath(here);
  return fileURLToPath(new URL('../../dist/state/pg-store-worker.js', import.meta.url));
}

let sync: ((req: Request) => Reply) | undefined;

function call(url: string, req: Request): unknown {
  if (!sync) {
    // loaded when a run is in a database, not by every command that opens a session (start-up time)
    const load = createRequire(import.meta.url);
    const { createSyncFn } = load('synckit') as typeof import('synckit');
    sync = createSyncFn<(req: Request) => Promise<Reply>>(workerFile(), { timeout: 45_000 });
  }
  let r: Reply;
  try {
    r = sync(req);
  } catch (e) {
    // the worker's own timeouts (connect 10 s, query 15 s) answer first; this is the last word
    const why = /timed-out/.test((e as Error).message) ? 'within 45 s' : `(${(e as Error).message})`;
    throw new StateDbError(
      `the state database ${describeStateUrl(url)} did not answer ${why}; nothing more is written here, and ` +
        'nothing was lost: check the database, then open the run again',
    );
  }
  if (r.ok) return r.value;
  if (r.kind === 'held') throw new LockError(holderInfo(r.holder));
  if (r.kind === 'schema') throw new StateDbError(`the state database ${describeStateUrl(url)}: ${r.error}`);
  if (r.kind === 'conflict')
    throw new StateDbError(
      `the run's state in ${describeStateUrl(url)} was changed by another writer; nothing more is written here: ` +
        'quit and open the run again to see it',
      'conflict',
    );
  if (connectionLost(r.error, r.code))
    throw new StateDbError(
      `the connection to the state database ${describeStateUrl(url)} was lost, and with it this session's hold ` +
        'on the run: nothing more is written here, and nothing was lost: quit and open the run again',
    );
  const f = classifyPgError(Object.assign(new Error(r.error), { code: r.code }));
  throw new StateDbError(`the state database ${describeStateUrl(url)}: ${f.message}; nothing was lost: ${hintOf(f)}`);
}

/**
 * The session's connection is gone: seen gone by the client, or ended by the server in answer to
 * a write sent before that was seen (an administrator's pg_terminate_backend, a shutdown, an
 * idle-session or idle-in-transaction timeout: SQLSTATE 57P01, 57P02, 57P05, 25P03).
 */
function connectionLost(error: string, code?: string): boolean {
  return /not queryable|Connection terminated|ECONNRESET|EPIPE/i.test(error) || LOST_CODES.has(code ?? '');
}
const LOST_CODES = new Set(['57P01', '57P02', '57P05', '25P03', 'ECONNRESET', 'EPIPE']);

/** What to do, said of the state URL (the pg hints speak of the runbook's DB_* settings). */
function hintOf(f: ReturnType<typeof classifyPgError>): string {
  const where = 'WAYMARK_STATE_URL (or --state-url, or state.url in the runbook)';
  switch (f.kind) {
    case 'refused':
    case 'host-unknown':
    case 'timeout':
      return `check that the state database is up and reachable, and its host and port in ${where}`;
    case 'bad-credentials':
      return `check the user in ${where} and its password (PGPASSWORD or ~/.pgpass)`;
    case 'database-missing':
      return `create that database (createdb NAME), or name another one in ${where}`;
    case 'permission':
      return "the state URL's user needs to create the waymark schema once, and to write its tables";
    default:
      return f.hint;
  }
}

/** Seconds as an operator reads them: "40 s", "3 min", "2 h". */
export function ago(s: number): string {
  return s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function holderInfo(h: Holder | undefined): LockInfo {
  if (!h) return { operator: 'someone', host: 'an unknown host', pid: -1, since: '?' };
  return { operator: h.operator, host: h.host, pid: h.pid, since: h.since, lastSeen: `${ago(h.silentS)} ago` };
}

/** The checked-out files: the run's state and audit log, as the folder backend keeps them. */
function materialize(co: Checkout, files: { state: string; audit: string }): void {
  if (co.state === undefined) {
    for (const f of [files.state, files.audit]) if (existsSync(f)) unlinkSync(f);
    return;
  }
  writeWhole(files.audit, co.lines.map((l) => l + '\n').join(''));
  writeWhole(files.state, co.state.endsWith('\n') ? co.state : co.state + '\n');
}

/** A private folder for one process's copy of a run; removed when the session closes. */
function workFolder(): string {
  return mkdtempSync(join(tmpdir(), 'waymark-run-'));
}

function removeWorkFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The run as it is in the database, without taking it: for readers (status, audit, reports). */
export function readRun(url: string, runKey: string): { checkout: Checkout; holder?: Holder; appendOnly: boolean } {
  return call(url, { op: 'read', url, runKey }) as { checkout: Checkout; holder?: Holder; appendOnly: boolean };
}

export interface ListedRun {
  runKey: string;
  state: string;
  holder?: Holder;
}

export function listRuns(url: string): ListedRun[] {
  return call(url, { op: 'list', url }) as ListedRun[];
}

/** Puts a run (its state and every line of its log) into the database; refused when the run is there. */
export function importRun(url: string, runKey: string, runId: string, state: string, lines: string[]): number {
  return call(url, { op: 'import', url, runKey, runId, state, lines }) as number;
}

/** Drops an approval for the run's writer; false (and what is there) when that name is taken. */
export function dropRemoteApproval(
  url: string,
  runKey: string,
  name: string,
  body: string,
): { inserted: boolean; body?: string } {
  return call(url, { op: 'drop-approval', url, runKey, name, body }) as { inserted: boolean; body?: string };
}

/** A run this process holds: its lock, its sessions row, and its write path. */
export class HeldRun {
  private constructor(
    readonly url: string,
    private readonly handle: number,
    readonly checkout: Checkout,
    /** the holder before this session, whose connection was gone */
    readonly tookOverFrom?: LockInfo,
  ) {}

  /** Takes the run; LockError when another session holds it, StateDbError when the database cannot say. */
  static open(url: string, runKey: string, me: { operator: string; host: string; pid: number }): HeldRun {
    const v = call(url, { op: 'open', url, runKey, me }) as {
      handle: number;
      checkout: Checkout;
      tookOverFrom?: Holder;
    };
    return new HeldRun(url, v.handle, v.checkout, v.tookOverFrom ? holderInfo(v.tookOverFrom) : undefined);
  }

  /** One event (or none, for a state alone) and the state it leads to, in one transaction. */
  commit(runId: string, lines: Array<{ seq: number; line: string }>, state: string): void {
    call(this.url, { op: 'commit', handle: this.handle, runId, lines, state });
  }

  approvals(): Array<{ name: string; body: string }> {
    return call(this.url, { op: 'approvals', handle: this.handle }) as Array<{ name: string; body: string }>;
  }

  refuseApproval(name: string): void {
    call(this.url, { op: 'refuse-approval', handle: this.handle, name });
  }

  /** `waymark reset`: the run's rows are set aside (its events stay); the next start begins a new run. */
  archive(): void {
    call(this.url, { op: 'archive', handle: this.handle });
  }

  close(): void {
    try {
      call(this.url, { op: 'close', handle: this.handle });
    } catch {
      /* the process ends soon; PostgreSQL frees the lock with the connection */
    }
  }
}

/** A run opened from the database: the private copy of its files, and what holds it. */
export interface SharedRun {
  files: { state: string; audit: string; lock: string; approvals: string };
  /** set for a writer */
  held?: HeldRun;
  /** for a reader: who holds the run now, if anyone */
  holder?: Holder;
  /** for a reader: the database refuses to change or delete the run's events (its trigger is in force) */
  appendOnly?: boolean;
  /** closes the hold (if any) and removes the copy */
  release(): void;
}

const leftovers = new Set<string>();
let exitHook = false;

export function openShared(
  url: string,
  runKey: string,
  me: { operator: string; host: string; pid: number },
  readOnly: boolean,
): SharedRun {
  const dir = workFolder();
  leftovers.add(dir);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => leftovers.forEach((d) => removeWorkFolder(d)));
  }
  const files = {
    state: join(dir, `${runKey}.json`),
    audit: join(dir, `${runKey}.audit.jsonl`),
    lock: join(dir, `${runKey}.lock`),
    approvals: join(dir, `${runKey}.approvals`),
  };
  const drop = () => {
    leftovers.delete(dir);
    removeWorkFolder(dir);
  };
  try {
    if (readOnly) {
      const r = readRun(url, runKey);
      materialize(r.checkout, files);
      return { files, holder: r.holder, appendOnly: r.appendOnly, release: drop };
    }
    const held = HeldRun.open(url, runKey, me);
    try {
      materialize(held.checkout, files);
    } catch (e) {
      held.close();
      throw e;
    }
    let released = false;
    return {
      files,
      held,
      release() {
        if (released) return;
        released = true;
        held.close();
        drop();
      },
    };
  } catch (e) {
    drop();
    throw e;
  }
}

// Where a run lives: one interface for the state folder and a PostgreSQL state database. A
// session, and every command, opens the run's store here and never asks which one it is: the
// folder store writes the run's files under a lock file; the database store writes each event
// and its state in one transaction under an advisory lock, and keeps a private copy of the
// files for what reads them (the audit log's chain, a report). `openRunStore` alone reads the
// state URL.
import type { Redactor } from '../runbook/redact.js';
import type { Runbook } from '../runbook/schema.js';
import type { AuditLog, Prepared } from './audit.js';
import { thisProcess } from './host.js';
import { alive, readLock, type Hold, type LockInfo } from './lock.js';
import { runPaths, stateUrlOf, type RunPaths } from './paths.js';
import type { ApprovalRecord, RunState } from './run-state.js';
import { DatabaseRunStore } from './database-store.js';
import { ago, describeStateUrl, listRuns } from './pg-store.js';
import { StateStore } from './store.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FolderRunStore } from './folder-store.js';

export interface RunStore {
  /** the run's files: in the state folder, or a private copy of what the database holds */
  readonly paths: RunPaths;
  /** the state database as it may be shown (no password); undefined for a folder */
  readonly keptIn?: string;
  /** where the run is kept, as it may be shown: the state folder, or the database (no password) */
  readonly where: string;
  /** the run's events, as a sentence may name them */
  readonly label: string;
  /** a database's own evidence for `audit --verify`: its append-only trigger, and the folder copies may be in */
  readonly database?: { appendOnly: boolean; folder: RunPaths };
  /** why `waymark repair` does not apply here; undefined where it does */
  readonly rebuildRefusal?: string;
  /** the run's state; undefined when it has none yet */
  load(): RunState | undefined;
  /** true when a run may be created here now (a database never gets one by mistake) */
  mayCreate(newRun: boolean): boolean;
  /** takes the run for this process: a lock file, or the database's hold taken as it opened */
  hold(operator: string): Hold;
  /** the run's audit log, as this process may use it (appends only for a writer) */
  openAudit(redactor: Redactor): AuditLog;
  /** one event (or none) and the state it leads to: durable in this order, so the log is never behind */
  commit(audit: AuditLog, next: RunState, line?: Prepared): void;
  /** approvals dropped for the run's writer, brought into the approvals folder */
  pullApprovals(): void;
  /** an approval the writer refused, set aside (never deleted) */
  refuseApproval(file: string): void;
  /** an approval dropped for the run's writer to take in (state/approvals.ts) */
  dropApproval(phaseId: string, approval: ApprovalRecord): Promise<void>;
  /** for a follower: the run as another session has written it since, if it changed */
  reread(after: string): RunState | undefined;
  /** for a reader: nobody holds the run (its session died): a running step it shows is interrupted */
  holderGone(): boolean;
  /** for a follower: who holds the run now (operator on host), or undefined when no session does */
  holderName(): string | undefined;
  /** `waymark reset`, by its holder: the run set aside (nothing deleted); what was done, or undefined: no run */
  archive(): string | undefined;
  /** the lock (or hold) given up; a database store's private copy removed */
  release(): void;
}

export interface StoreOptions {
  stateDir: string;
  stateUrl?: string;
  operator: string;
  readOnly?: boolean;
}

/** The store of a runbook's run with this fingerprint: the state database when one is named, else the folder. */
export function openRunStore(rb: Runbook, fingerprint: string, o: StoreOptions): RunStore {
  const paths = runPaths(o.stateDir, rb.id, fingerprint);
  const url = stateUrlOf(o.stateUrl, rb);
  if (!url) return new FolderRunStore(paths, !!o.readOnly);
  return DatabaseRunStore.open(url, paths, thisProcess(o.operator), !!o.readOnly);
}

/** The state database a runbook's runs are kept in, if one is named (--state-url, WAYMARK_STATE_URL, state.url). */
export function stateDatabaseOf(rb: Runbook, o: Pick<StoreOptions, 'stateUrl'>): string | undefined {
  return stateUrlOf(o.stateUrl, rb);
}

/** A run as `waymark runs` lists it: its name, its state when read, and who holds it. */
export interface StoredRun {
  /** the state file, or the run's key in the database */
  name: string;
  load: () => RunState | undefined;
  holder?: LockInfo & { stale: boolean };
}

/** Every run kept where the options say (the state database named, else the folder), whatever its runbook. */
export function storedRuns(o: Pick<StoreOptions, 'stateDir' | 'stateUrl'>): {
  where: { stateUrl: string } | { stateDir: string };
  label: string;
  runs: StoredRun[];
} {
  if (o.stateUrl) {
    const label = describeStateUrl(o.stateUrl);
    const runs = listRuns(o.stateUrl).map((x): StoredRun => {
      const h = x.holder;
      const holder: StoredRun['holder'] = h && {
        ...{ operator: h.operator, host: h.host, pid: h.pid, since: h.since, stale: !h.connected },
        ...(h.connected ? { lastSeen: `${ago(h.silentS)} ago` } : {}),
      };
      return { name: x.runKey, load: () => JSON.parse(x.state) as RunState, holder };
    });
    return { where: { stateUrl: label }, label, runs };
  }
  const dir = join(o.stateDir, 'runs');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^[^.].*\.json$/.test(f) && !f.includes('.tmp')) : [];
  const runs = files.sort().map((f): StoredRun => {
    const file = join(dir, f);
    const lock = readLock(file.replace(/\.json$/, '.lock'));
    return { name: file, load: () => new StateStore(file).load(), holder: lock && { ...lock, stale: !alive(lock) } };
  });
  return { where: { stateDir: dir }, label: dir, runs };
}

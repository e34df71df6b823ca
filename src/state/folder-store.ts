// A run kept in the state folder: its state file and audit log, held by a lock file
// (state/lock.ts). The store a session opens when no state database is named (run-store.ts).
import { readdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Redactor } from '../runbook/redact.js';
import { AuditLog, type Prepared } from './audit.js';
import { dropApproval } from './approvals.js';
import { clearStaleTemps } from './durable.js';
import { acquireLock, alive, pidAlive, readLock, type Hold, type Lock } from './lock.js';
import type { RunPaths } from './paths.js';
import type { ApprovalRecord, RunState } from './run-state.js';
import { StateStore } from './store.js';

/** The run's files in the state folder, held by a lock file. */
export class FolderRunStore {
  readonly where: string;
  readonly label: string;
  private readonly store: StateStore;
  private lock?: Lock;

  constructor(
    readonly paths: RunPaths,
    private readonly readOnly: boolean,
  ) {
    this.store = new StateStore(paths.state);
    this.where = paths.dir;
    this.label = paths.audit;
  }

  load(): RunState | undefined {
    // a reader that cannot look into the state folder must say so, not report "no run yet"
    if (this.readOnly) mayList(dirname(this.paths.state));
    return this.store.load();
  }

  mayCreate(): boolean {
    return true;
  }

  hold(operator: string): Hold {
    this.lock = acquireLock(this.paths.lock, operator);
    // saves of the state killed mid-way leave their temp files: the state itself is whole
    clearStaleTemps(this.paths.state, pidAlive);
    return { tookOverFrom: this.lock.tookOverFrom, gone: 'that process is gone' };
  }

  openAudit(redactor: Redactor): AuditLog {
    return new AuditLog(this.paths.audit, redactor, !this.readOnly);
  }

  commit(audit: AuditLog, next: RunState, line?: Prepared): void {
    if (line) audit.write(line);
    this.store.save(next);
  }

  pullApprovals(): void {}

  refuseApproval(file: string): void {
    renameSync(file, `${file}.refused`);
  }

  dropApproval(phaseId: string, approval: ApprovalRecord): Promise<void> {
    dropApproval(this.paths.approvals, phaseId, approval);
    return Promise.resolve();
  }

  reread(after: string): RunState | undefined {
    const next = this.store.load();
    return next && next.updatedAt !== after ? next : undefined;
  }

  holderGone(): boolean {
    const holder = readLock(this.paths.lock);
    return !holder || !alive(holder);
  }

  holderName(): string | undefined {
    const h = readLock(this.paths.lock);
    return h && alive(h) ? `${h.operator} on ${h.host}` : undefined;
  }

  archive(): string | undefined {
    const archived = this.store.archive(this.paths.archive, [this.paths.audit]);
    return archived && `archived the run to ${archived}`;
  }

  release(): void {
    this.lock?.release();
  }
}

/** Throws the file system's error when the folder exists but cannot be listed (a file, no permission). */
function mayList(dir: string): void {
  try {
    readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

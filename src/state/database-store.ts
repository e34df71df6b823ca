// A run kept in a PostgreSQL state database (pg-store.ts): each event and the state it leads to
// in one transaction, under the database's hold on the run. The session works on a private copy
// of the run's files, written after each commit, so what reads files (the audit chain, reports)
// reads exactly what the database holds.
import type { Redactor } from '../runbook/redact.js';
import { AuditLog, type Prepared } from './audit.js';
import { AlreadyApproved, approvalFile, type Dropped } from './approvals.js';
import { writeWhole } from './durable.js';
import { existsSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunPaths } from './paths.js';
import { describeStateUrl, dropRemoteApproval, openShared, readRun, type SharedRun } from './pg-store.js';
import type { ApprovalRecord, RunState } from './run-state.js';
import type { Hold } from './lock.js';
import { StateStore } from './store.js';

export class DatabaseRunStore {
  readonly paths: RunPaths;
  readonly keptIn: string;
  readonly where: string;
  readonly label: string;
  readonly database?: { appendOnly: boolean; folder: RunPaths };
  readonly rebuildRefusal =
    'a run in a state database is written one transaction per event, so its state never falls behind its log ' +
    'and there is nothing to rebuild: `waymark audit --verify` checks its chain; to repair a copy, ' +
    '`waymark state export` it into a folder';
  private readonly copy: StateStore;

  private constructor(
    private readonly url: string,
    private readonly run: SharedRun,
    paths: RunPaths,
  ) {
    this.paths = { ...paths, ...run.files };
    this.keptIn = this.where = describeStateUrl(url);
    this.label = `the events of run ${paths.name} in ${this.where}`;
    // a reader knows whether the database keeps the events from being changed: audit --verify says so
    if (!run.held) this.database = { appendOnly: run.appendOnly ?? false, folder: paths };
    this.copy = new StateStore(this.paths.state);
  }

  /** A writer takes the run's hold here (LockError when another session has it); a reader takes a copy. */
  static open(
    url: string,
    paths: RunPaths,
    me: { operator: string; host: string; pid: number },
    readOnly: boolean,
  ): DatabaseRunStore {
    return new DatabaseRunStore(url, openShared(url, paths.name, me, readOnly), paths);
  }

  load(): RunState | undefined {
    return this.copy.load();
  }

  /** A stray run in a team's database is never made by mistake (a wrong runbook, a typo in the URL). */
  mayCreate(newRun: boolean): boolean {
    return !this.run.held || newRun || existsSync(this.paths.audit);
  }

  hold(): Hold {
    const h = this.run.held?.tookOverFrom;
    return { tookOverFrom: h, gone: h && `its connection to the state database is gone (last seen ${h.lastSeen})` };
  }

  openAudit(redactor: Redactor): AuditLog {
    return new AuditLog(this.paths.audit, redactor, !!this.run.held);
  }

  commit(audit: AuditLog, next: RunState, line?: Prepared): void {
    const lines = line ? [{ seq: line.entry.seq, line: line.line }] : [];
    this.run.held?.commit(next.runId, lines, JSON.stringify(next, null, 2));
    if (line) audit.write(line);
    this.copy.save(next);
  }

  /** The database's approvals come into the private copy's folder, where the rest goes as on one machine. */
  pullApprovals(): void {
    const held = this.run.held;
    if (!held) return;
    for (const r of held.approvals()) {
      const file = join(this.paths.approvals, r.name);
      if (!existsSync(file) && !existsSync(`${file}.refused`)) writeWhole(file, r.body, 0o600);
    }
  }

  refuseApproval(file: string): void {
    renameSync(file, `${file}.refused`);
    this.run.held?.refuseApproval(basename(file));
  }

  /** One row per phase and key, as one file in a folder: of any number of attempts by one person one lands. */
  async dropApproval(phaseId: string, approval: ApprovalRecord): Promise<void> {
    const name = basename(approvalFile('.', phaseId, approval.keyFingerprint));
    const body = JSON.stringify({ phaseId, approval }, null, 2) + '\n';
    const r = dropRemoteApproval(this.url, this.paths.name, name, body);
    if (r.inserted) return;
    const had = r.body ? (JSON.parse(r.body) as Dropped) : undefined;
    throw new AlreadyApproved(
      `${had?.approval.by ?? 'this key'} already approved this phase with that key (at ${had?.approval.at ?? '?'})`,
    );
  }

  reread(after: string): RunState | undefined {
    const { checkout } = readRun(this.url, this.paths.name);
    if (checkout.state === undefined) return undefined;
    writeWhole(this.paths.state, checkout.state);
    const next = this.copy.load();
    return next && next.updatedAt !== after ? next : undefined;
  }

  holderGone(): boolean {
    return !this.run.holder?.connected;
  }

  holderName(): string | undefined {
    const h = this.run.holder;
    return h?.connected ? `${h.operator} on ${h.host}` : undefined;
  }

  archive(): string | undefined {
    const held = this.run.held;
    if (!held || held.checkout.state === undefined) return undefined;
    held.archive();
    return `archived the run in ${this.keptIn} (its events stay)`;
  }

  release(): void {
    this.run.release();
  }
}

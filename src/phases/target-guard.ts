// The advisory lock in every database the runbook writes to, held while the session runs steps:
// two Waymarks never run the same runbook against one database. A lock held by someone else is
// an error (TargetLockError); a database that cannot be reached yet (it may not exist before its
// createdb step) is tried again before each step runs.
import type { Runbook } from '../runbook/schema.js';
import type { Redactor } from '../runbook/redact.js';
import type { ConnectionManager } from '../checks/pg.js';
import { TargetLocks, TargetLockError } from '../state/target-lock.js';

export class TargetGuard {
  /** asked for once: from then on every step first takes the locks not held yet */
  wanted = false;
  private readonly locks: TargetLocks;
  /** when a database that timed out is tried again: not before every step (each would wait out the timeout) */
  private readonly retryAt = new Map<string, number>();

  constructor(
    private readonly rb: Runbook,
    private readonly redactor: Redactor,
    private readonly connections: ConnectionManager,
    operator: string,
    /** a lock taken, for the audit log */
    private readonly taken: (connection: string) => void,
  ) {
    this.locks = new TargetLocks(rb.id, operator);
  }

  /** Takes what it can; returns a sentence for each database whose lock is not held yet. */
  async lock(): Promise<string[]> {
    this.wanted = true;
    const waiting: string[] = [];
    for (const [name, c] of Object.entries(this.rb.connections)) {
      if (!c.writes || this.locks.isHeld(name)) continue;
      if ((this.retryAt.get(name) ?? 0) > Date.now()) continue;
      const t0 = Date.now();
      try {
        await this.locks.acquire(name, this.connections.config(name));
        this.taken(name);
      } catch (e) {
        if (e instanceof TargetLockError) throw e;
        // a quick refusal (database not created yet) is retried at the next step; a slow one waits 30 s
        if (Date.now() - t0 > 1000) this.retryAt.set(name, Date.now() + 30_000);
        waiting.push(
          `the lock in "${name}" is not held yet (${this.redactor.redact((e as Error).message)}); it is ` +
            `taken before a later step runs`,
        );
      }
    }
    return waiting;
  }

  releaseAll(): Promise<void> {
    return this.locks.releaseAll();
  }
}

// A lock held in the target database while a run is live: a session-level advisory
// lock on each connection the runbook writes to. Two operators on two laptops cannot
// run the same migration against the same database; if the holder crashes, its
// connection closes and PostgreSQL releases the lock by itself.
import type { Client, PoolConfig } from 'pg';
import { hostName } from './host.js';
import { createHash } from 'node:crypto';

const NAMESPACE = 0x5741594d; // "WAYM"

export function lockKey(runbookId: string): [number, number] {
  const h = createHash('sha256').update(`waymark:${runbookId}`).digest();
  return [NAMESPACE | 0, h.readInt32BE(0)];
}

export interface TargetHolder {
  applicationName: string;
  pid: number;
  since: string;
  clientAddr: string | null;
}

export class TargetLockError extends Error {
  constructor(
    readonly connection: string,
    readonly holder: TargetHolder | undefined,
  ) {
    super(
      `another Waymark session holds the lock on connection "${connection}"` +
        (holder
          ? `: ${holder.applicationName.replace(/^waymark:/, '')} (backend pid ${holder.pid}, ` +
            `connected since ${holder.since}${holder.clientAddr ? ` from ${holder.clientAddr}` : ''})`
          : ''),
    );
    this.name = 'LockError';
  }
}

export class TargetLocks {
  private held = new Map<string, Client>();
  constructor(
    private readonly runbookId: string,
    private readonly operator: string,
  ) {}

  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  /**
   * Takes the lock on one connection. Resolves true when held, throws TargetLockError
   * when someone else holds it, and rejects with the connection error when the
   * database cannot be reached (the caller retries later).
   */
  async acquire(name: string, config: PoolConfig): Promise<true> {
    if (this.held.has(name)) return true;
    const { default: pg } = await import('pg');
    const appName = `waymark:${this.operator}@${hostName()} pid ${process.pid}`.slice(0, 63);
    const client = new pg.Client({
      ...config,
      application_name: appName,
      connectionTimeoutMillis: config.connectionTimeoutMillis ?? 5000,
    });
    client.on('error', () => this.held.delete(name));
    await client.connect();
    const [k1, k2] = lockKey(this.runbookId);
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [k1, k2]);
    if (r.rows[0].ok) {
      this.held.set(name, client);
      return true;
    }
    const h = await client
      .query<{ application_name: string; pid: number; backend_start: Date; client_addr: string | null }>(
        `SELECT a.application_name, a.pid, a.backend_start, a.client_addr::text
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid AND l.objid = $2::int::oid
        AND l.objsubid = 2`,
        [k1, k2],
      )
      .catch(() => ({ rows: [] as never[] }));
    await client.end().catch(() => {});
    const row = h.rows[0];
    throw new TargetLockError(
      name,
      row
        ? {
            applicationName: row.application_name,
            pid: row.pid,
            since: row.backend_start.toISOString(),
            clientAddr: row.client_addr,
          }
        : undefined,
    );
  }

  async releaseAll(): Promise<void> {
    const clients = [...this.held.values()];
    this.held.clear();
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
  }
}

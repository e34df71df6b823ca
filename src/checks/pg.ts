// One pg.Pool per runbook connection, created on first use and reused by every
// check. pg is imported lazily so loading a runbook or drawing the TUI stays fast.
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { Connection } from '../runbook/schema.js';

export interface PgQueryOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export class ConnectionManager {
  private pools = new Map<string, Promise<Pool>>();
  constructor(private readonly defs: Record<string, Connection>) {}

  names(): string[] {
    return Object.keys(this.defs);
  }

  /** The connection to use when a check names none: the only one, or "main"/"default". */
  pick(name?: string): string {
    if (name) {
      if (!this.defs[name]) throw new Error(`unknown connection "${name}"`);
      return name;
    }
    const names = this.names();
    if (names.length === 0) throw new Error('the runbook defines no connections');
    return names.find((n) => n === 'main' || n === 'default') ?? names[0];
  }

  config(name: string): PoolConfig {
    return poolConfig(this.defs[this.pick(name)]);
  }

  pool(name?: string): Promise<Pool> {
    const key = this.pick(name);
    let p = this.pools.get(key);
    if (!p) {
      p = import('pg').then(({ default: pg }) => {
        const pool = new pg.Pool({ ...poolConfig(this.defs[key]), max: 4, idleTimeoutMillis: 10_000 });
        // An idle client's error (server restart) must not crash the process.
        pool.on('error', () => {});
        return pool;
      });
      this.pools.set(key, p);
    }
    return p;
  }

  /**
   * Runs fn inside a READ ONLY transaction under statement_timeout, so a check can
   * never change the database and never outlives its timeout.
   */
  async readOnly<T>(name: string | undefined, opts: PgQueryOptions, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const pool = await this.pool(name);
    const work = async () => {
      const client = await withTimeout(pool.connect(), opts.timeoutMs, 'connecting');
      let broken = false;
      const onAbort = () => {
        broken = true;
        // Destroying the socket ends the server-side query too.
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await client.query('BEGIN READ ONLY');
        await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(opts.timeoutMs))}`);
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        broken = true;
        if (opts.signal?.aborted) throw new Error('cancelled', { cause: e });
        throw e;
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        client.release(broken ? true : undefined);
      }
    };
    return withTimeout(work(), opts.timeoutMs + 500, 'running the query');
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(async (p) => (await p.catch(() => null))?.end().catch(() => {})));
  }
}

export function poolConfig(c: Connection): PoolConfig {
  const timeout = c.connect_timeout_ms ?? 5000;
  const base: PoolConfig = { connectionTimeoutMillis: timeout, application_name: 'waymark', query_timeout: undefined };
  if (c.url) return { ...base, connectionString: c.url };
  return {
    ...base,
    host: c.host || undefined,
    port: c.port !== undefined && c.port !== '' ? Number(c.port) : undefined,
    database: c.database || undefined,
    user: c.user || undefined,
    password: c.password || undefined,
  };
}

/** host, port and database of a connection, never its password */
export function describeTarget(c: Connection): { host: string; port: string; database: string; user: string } {
  if (c.url) {
    try {
      const u = new URL(c.url);
      return {
        host: u.hostname,
        port: u.port || '5432',
        database: u.pathname.replace(/^\//, ''),
        user: decodeURIComponent(u.username),
      };
    } catch {
      return { host: '?', port: '?', database: '?', user: '?' };
    }
  }
  return { host: c.host ?? 'localhost', port: String(c.port ?? 5432), database: c.database ?? '', user: c.user ?? '' };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  const timer = new Promise<never>((_, reject) => {
    t = setTimeout(
      () => reject(Object.assign(new Error(`timed out after ${ms} ms ${what}`), { code: 'WAYMARK_TIMEOUT' })),
      ms,
    );
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

/** Quotes an identifier ("schema.table" → "schema"."table"). Runbook names are never concatenated raw. */
export function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');
}

export interface PgFailure {
  kind:
    | 'host-unknown'
    | 'refused'
    | 'timeout'
    | 'bad-credentials'
    | 'database-missing'
    | 'tls'
    | 'permission'
    | 'query-timeout'
    | 'other';
  message: string;
  hint: string;
}

/** Turns a pg / network error into what the operator needs to know and do. */
export function classifyPgError(e: unknown): PgFailure {
  const err = e as { code?: string; message?: string };
  const msg = String(err?.message ?? e);
  const code = err?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return {
      kind: 'host-unknown',
      message: `host not found (${msg})`,
      hint: 'check DB_HOST; the name does not resolve',
    };
  if (code === 'ECONNREFUSED')
    return {
      kind: 'refused',
      message: 'connection refused: nothing listens on that host and port',
      hint:
        'check PostgreSQL is running (sudo systemctl status postgresql) and DB_PORT; check firewall rules ' +
        '(sudo ufw status)',
    };
  if (code === '28P01' || code === '28000')
    return {
      kind: 'bad-credentials',
      message: `authentication failed (${msg})`,
      hint: 'check DB_USER and DB_PASSWORD in .env',
    };
  if (code === '3D000')
    return { kind: 'database-missing', message: msg, hint: 'create it (createdb fluxstudio_db) or check DB_NAME' };
  if (code === '57014')
    return {
      kind: 'query-timeout',
      message: 'the query was cancelled by statement_timeout',
      hint: 'the database is slow or locked; look at slow queries and locks, or raise the check timeout',
    };
  if (code === '42501')
    return { kind: 'permission', message: msg, hint: 'grant the runbook user read access, or use a user that has it' };
  if (/ssl|tls|certificate/i.test(msg))
    return {
      kind: 'tls',
      message: `TLS: ${msg}`,
      hint: 'match sslmode to the server: add ?sslmode=disable for a local server, or install its CA certificate',
    };
  if (code === 'WAYMARK_TIMEOUT' || /timeout|timed out|terminated due to connection timeout/i.test(msg))
    return {
      kind: 'timeout',
      message: `connection timeout (${msg})`,
      hint:
        'check the host is reachable and PostgreSQL is running; check firewall rules; raise ' +
        'connectionTimeoutMillis (e.g. 5000)',
    };
  if (/terminated unexpectedly/i.test(msg))
    return {
      kind: 'other',
      message: 'the server closed the connection without a PostgreSQL error',
      hint: 'it may not be PostgreSQL (check DB_PORT; the db-connection check tells), or it restarted: see its log',
    };
  return { kind: 'other', message: msg, hint: 'see the PostgreSQL server log' };
}

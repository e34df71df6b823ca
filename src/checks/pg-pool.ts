import { z } from 'zod';
import { type CheckOutcome, defineCheck, type Metric } from './types.js';
import { classifyPgError } from './pg.js';

export const pgPoolCheck = defineCheck({
  type: 'pg.pool',
  description: "Connections by state from pg_stat_activity, and the app's pool counters from its health endpoint",
  params: z
    .object({
      application_name: z.string().optional(),
      max_waiting: z.number().int().nonnegative().default(5),
      max_idle_in_transaction: z.number().int().nonnegative().optional(),
      health_url: z
        .string()
        .optional()
        .describe("URL of a JSON endpoint exposing the app pool's totalCount/idleCount/waitingCount"),
      health_path: z.string().default('pool').describe('dotted path to the pool object in that JSON'),
    })
    .strict(),
  defaultTimeoutMs: 10_000,
  async run(p, ctx): Promise<CheckOutcome> {
    const metrics: Record<string, Metric> = {};
    const problems: string[] = [];
    let rows: Array<Array<string | number>>;
    try {
      const r = await ctx.connections.readOnly(ctx.connection, { timeoutMs: ctx.timeoutMs, signal: ctx.signal }, (c) =>
        c.query<{ state: string; n: number; waiting: number }>(
          `SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n,
                  count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting
             FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
              AND ($1::text IS NULL OR application_name = $1)
            GROUP BY 1 ORDER BY 2 DESC`,
          [p.application_name ?? null],
        ),
      );
      const by = Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
      const waiting = r.rows.reduce((a, x) => a + x.waiting, 0);
      Object.assign(metrics, {
        total: r.rows.reduce((a, x) => a + x.n, 0),
        active: by['active'] ?? 0,
        idle: by['idle'] ?? 0,
        idle_in_transaction: (by['idle in transaction'] ?? 0) + (by['idle in transaction (aborted)'] ?? 0),
        waiting_on_locks: waiting,
      });
      rows = r.rows.map((x) => ['server', x.state, x.n]);
      if (waiting > p.max_waiting) problems.push(`${waiting} sessions waiting on locks > ${p.max_waiting}`);
      if (
        p.max_idle_in_transaction !== undefined &&
        (metrics.idle_in_transaction as number) > p.max_idle_in_transaction
      )
        problems.push(`${metrics.idle_in_transaction} idle in transaction > ${p.max_idle_in_transaction}`);
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics, hint: f.hint };
    }
    if (p.health_url) {
      try {
        const res = await fetch(p.health_url, {
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.timeoutMs)]),
        });
        const body = (await res.json()) as Record<string, unknown>;
        const pool = p.health_path
          .split('.')
          .reduce<unknown>(
            (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
            body,
          ) as Record<string, number> | undefined;
        if (pool && typeof pool === 'object') {
          metrics.app_total = pool.totalCount ?? null;
          metrics.app_idle = pool.idleCount ?? null;
          metrics.app_waiting = pool.waitingCount ?? null;
          rows.push(
            ['app pool', 'totalCount', pool.totalCount],
            ['app pool', 'idleCount', pool.idleCount],
            ['app pool', 'waitingCount', pool.waitingCount],
          );
          if ((pool.waitingCount ?? 0) > p.max_waiting)
            problems.push(`app pool: ${pool.waitingCount} requests waiting > ${p.max_waiting}`);
        } else problems.push(`health endpoint has no "${p.health_path}" object`);
      } catch (e) {
        problems.push(`health endpoint unreachable: ${ctx.redactor.redact((e as Error).message)}`);
      }
    }
    return {
      status: problems.length ? 'fail' : 'pass',
      summary: problems.length
        ? problems.join('; ')
        : `${metrics.total} connections: ${metrics.active} active, ${metrics.idle} idle, ` +
          `${metrics.idle_in_transaction} idle in transaction, ${metrics.waiting_on_locks} ` +
          `waiting${metrics.app_total !== undefined ? `; app pool ${metrics.app_total} total, ` : ''}` +
          `${metrics.app_total !== undefined ? `${metrics.app_idle} idle, ${metrics.app_waiting} waiting` : ''}`,
      metrics,
      thresholds: {
        waiting: `<= ${p.max_waiting}`,
        ...(p.max_idle_in_transaction !== undefined ? { idle_in_transaction: `<= ${p.max_idle_in_transaction}` } : {}),
      },
      evidence: [{ columns: ['source', 'state', 'connections'], rows }],
    };
  },
});

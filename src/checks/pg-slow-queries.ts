import { z } from 'zod';
import { type CheckContext, type CheckOutcome, defineCheck } from './types.js';
import { classifyPgError } from './pg.js';
import { cell } from './pg-query.js';

export const pgSlowQueriesCheck = defineCheck({
  type: 'pg.slow-queries',
  description:
    'Top statements by mean time from pg_stat_statements; falls back to long-running statements in pg_stat_activity',
  params: z
    .object({
      max_mean_ms: z.number().positive().default(1000),
      limit: z.number().int().positive().default(10),
      min_calls: z.number().int().nonnegative().default(1),
    })
    .strict(),
  defaultTimeoutMs: 10_000,
  async run(p, ctx): Promise<CheckOutcome> {
    const opts = { timeoutMs: ctx.timeoutMs, signal: ctx.signal };
    try {
      const state = await ctx.connections.readOnly(ctx.connection, opts, async (c) => {
        const ext = await c.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`);
        const preload = await c.query<{ v: string }>(`SELECT current_setting('shared_preload_libraries') AS v`);
        return { installed: (ext.rowCount ?? 0) > 0, preloaded: /pg_stat_statements/.test(preload.rows[0].v) };
      });
      if (!state.installed || !state.preloaded) return await longRunning(p, ctx, state.preloaded);
      const r = await ctx.connections.readOnly(ctx.connection, opts, (c) =>
        c.query<{ query: string; calls: string; mean_ms: string; max_ms: string }>(
          `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query, calls,
                  round((total_exec_time / nullif(calls, 0))::numeric, 2) AS mean_ms,
                  round(max_exec_time::numeric, 2) AS max_ms
             FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = current_database() AND calls >= $1
              AND query !~* '^\\s*(BEGIN|COMMIT|SET |SHOW )'
            ORDER BY mean_ms DESC NULLS LAST LIMIT $2`,
          [p.min_calls, p.limit],
        ),
      );
      const slow = r.rows.filter((x) => Number(x.mean_ms) > p.max_mean_ms);
      const top = r.rows[0];
      return {
        status: slow.length ? 'fail' : 'pass',
        summary: slow.length
          ? `${slow.length} statement${slow.length === 1 ? '' : 's'} with mean time > ${p.max_mean_ms} ms ` +
            `(worst ${slow[0].mean_ms} ms)`
          : `no statement averages over ${p.max_mean_ms} ` +
            `ms${top ? ` (slowest mean ${top.mean_ms} ms over ${top.calls} calls)` : ''}`,
        metrics: {
          slow_statements: slow.length,
          worst_mean_ms: top ? Number(top.mean_ms) : 0,
          worst_max_ms: top ? Number(top.max_ms) : 0,
        },
        thresholds: { mean_ms: `<= ${p.max_mean_ms}` },
        evidence: [
          {
            columns: ['mean ms', 'calls', 'max ms', 'query'],
            rows: r.rows.map((x) => [
              Number(x.mean_ms),
              Number(x.calls),
              Number(x.max_ms),
              ctx.redactor.redact(String(cell(x.query))),
            ]),
          },
        ],
      };
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics: {}, hint: f.hint };
    }
  },
});

/** Without pg_stat_statements: the statements running longer than the limit now, and how to enable it. */
async function longRunning(
  p: z.output<typeof pgSlowQueriesCheck.params>,
  ctx: CheckContext,
  preloaded: boolean,
): Promise<CheckOutcome> {
  const opts = { timeoutMs: ctx.timeoutMs, signal: ctx.signal };
  const state = { preloaded };
  const how = !state.preloaded
    ? 'add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart PostgreSQL, then ' +
      'CREATE EXTENSION pg_stat_statements'
    : 'run CREATE EXTENSION pg_stat_statements in this database';
  const running = await ctx.connections.readOnly(ctx.connection, opts, (c) =>
    c.query<{ pid: number; running_ms: string; state: string; query: string }>(
      `SELECT pid, round(extract(epoch FROM now() - query_start) * 1000)::bigint AS running_ms, state,
        left(query, 200) AS query
           FROM pg_stat_activity
          WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()
            AND now() - query_start > make_interval(secs => $1 / 1000.0)
          ORDER BY running_ms DESC LIMIT $2`,
      [p.max_mean_ms, p.limit],
    ),
  );
  const n = running.rowCount ?? 0;
  return {
    status: n > 0 ? 'fail' : 'warn',
    summary:
      `pg_stat_statements unavailable ` +
      `(${state.preloaded ? 'extension not created' : 'not preloaded'}); fallback: ${n} ` +
      `statement${n === 1 ? '' : 's'} running longer than ${p.max_mean_ms} ms now`,
    metrics: { pg_stat_statements: 'unavailable', long_running: n },
    thresholds: { running_ms: `<= ${p.max_mean_ms}` },
    evidence: [
      {
        columns: ['pid', 'running ms', 'state', 'query'],
        rows: running.rows.map((r) => [r.pid, Number(r.running_ms), r.state, ctx.redactor.redact(r.query)]),
      },
    ],
    hint: `To enable: ${how}`,
  };
}

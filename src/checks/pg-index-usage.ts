import { z } from 'zod';
import { type CheckOutcome, defineCheck } from './types.js';
import { classifyPgError } from './pg.js';
import type { PoolClient } from 'pg';

export const pgIndexUsageCheck = defineCheck({
  type: 'pg.index-usage',
  description: 'Index scans per index, tables without indexes, tables read mostly by sequential scans',
  params: z
    .object({
      tables: z.array(z.string()).optional(),
      min_index_pct: z.number().min(0).max(100).default(95),
      min_rows: z
        .number()
        .int()
        .nonnegative()
        .default(10000)
        .describe('tables smaller than this are not judged on sequential scans'),
      schema: z.string().default('public'),
    })
    .strict(),
  defaultTimeoutMs: 10_000,
  async run(p, ctx): Promise<CheckOutcome> {
    try {
      const opts = { timeoutMs: ctx.timeoutMs, signal: ctx.signal };
      const { idx, noIndex, seq } = await ctx.connections.readOnly(ctx.connection, opts, (c) => usage(c, p));
      const problems: string[] = [];
      if (noIndex.rows.length)
        problems.push(`tables without indexes: ${noIndex.rows.map((r) => r.tablename).join(', ')}`);
      if (seq.rows.length)
        problems.push(
          `mostly sequential scans: ${seq.rows.map((r) => `${r.table} (${r.index_pct}% index)`).join(', ')}`,
        );
      return {
        status: problems.length ? 'warn' : 'pass',
        summary: problems.length
          ? problems.join('; ')
          : `${idx.rows.length} indexes, every table indexed, no large table read mostly by sequential scan`,
        metrics: {
          indexes: idx.rows.length,
          tables_without_index: noIndex.rows.length,
          seq_scan_tables: seq.rows.length,
        },
        thresholds: { index_pct: `>= ${p.min_index_pct} on tables with >= ${p.min_rows} rows` },
        evidence: [
          {
            columns: ['table', 'index', 'idx_scan', 'idx_tup_read', 'idx_tup_fetch'],
            rows: idx.rows.map((r) => [
              r.table,
              r.index,
              Number(r.idx_scan),
              Number(r.idx_tup_read),
              Number(r.idx_tup_fetch),
            ]),
          },
          ...(seq.rows.length
            ? [
                {
                  columns: ['table', 'seq_scan', 'idx_scan', 'rows', 'index %'],
                  rows: seq.rows.map((r) => [
                    r.table,
                    Number(r.seq_scan),
                    Number(r.idx_scan),
                    Number(r.n_live_tup),
                    Number(r.index_pct),
                  ]),
                },
              ]
            : []),
        ],
        hint: problems.length ? 'check missing indexes (pg_indexes), then ANALYZE the tables' : undefined,
      };
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics: {}, hint: f.hint };
    }
  },
});

/** The schema's indexes by use, its tables without one, and the large tables read mostly by sequential scan. */
async function usage(c: PoolClient, p: z.output<typeof pgIndexUsageCheck.params>) {
  const tables = p.tables ?? null;
  const idx = await c.query<{
    table: string;
    index: string;
    idx_scan: string;
    idx_tup_read: string;
    idx_tup_fetch: string;
  }>(
    `SELECT relname AS table, indexrelname AS index, idx_scan, idx_tup_read, idx_tup_fetch
       FROM pg_stat_user_indexes WHERE schemaname = $1 AND ($2::text[] IS NULL OR relname = ANY($2))
      ORDER BY idx_scan DESC, relname LIMIT 50`,
    [p.schema, tables],
  );
  const noIndex = await c.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables t WHERE schemaname = $1 AND ($2::text[] IS NULL OR tablename = ANY($2))
        AND NOT EXISTS (SELECT 1 FROM pg_indexes i WHERE i.schemaname = t.schemaname
        AND i.tablename = t.tablename)`,
    [p.schema, tables],
  );
  const seq = await c.query<{
    table: string;
    seq_scan: string;
    idx_scan: string;
    n_live_tup: string;
    index_pct: string;
  }>(
    `SELECT relname AS table, seq_scan, coalesce(idx_scan, 0) AS idx_scan, n_live_tup,
            round(100.0 * coalesce(idx_scan, 0) / nullif(seq_scan + coalesce(idx_scan, 0), 0), 1) AS index_pct
       FROM pg_stat_user_tables WHERE schemaname = $1 AND ($2::text[] IS NULL OR relname = ANY($2))
        AND n_live_tup >= $3
        AND 100.0 * coalesce(idx_scan, 0) / nullif(seq_scan + coalesce(idx_scan, 0), 0) < $4`,
    [p.schema, tables, p.min_rows, p.min_index_pct],
  );
  return { idx, noIndex, seq };
}

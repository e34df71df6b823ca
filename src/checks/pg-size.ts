import { z } from 'zod';
import { statfsSync } from 'node:fs';
import { type CheckOutcome, defineCheck, type Metric } from './types.js';
import { classifyPgError } from './pg.js';

export const pgSizeCheck = defineCheck({
  type: 'pg.size',
  description: 'Database and table sizes, and disk usage against the alert threshold',
  params: z
    .object({
      max_disk_pct: z.number().min(0).max(100).default(80),
      data_directory: z.string().optional().describe('path whose file system holds the data (when readable from here)'),
      max_database_bytes: z.number().positive().optional(),
      limit: z.number().int().positive().default(20),
    })
    .strict(),
  defaultTimeoutMs: 10_000,
  async run(p, ctx): Promise<CheckOutcome> {
    try {
      const { db, tables, dataDir } = await ctx.connections.readOnly(
        ctx.connection,
        { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
        async (c) => {
          const db = await c.query<{ bytes: string; pretty: string }>(
            `SELECT pg_database_size(current_database())::bigint AS bytes, ` +
              `pg_size_pretty(pg_database_size(current_database())) AS pretty`,
          );
          const tables = await c.query<{ table: string; size: string; bytes: string }>(
            `SELECT schemaname || '.' || tablename AS table,
            pg_total_relation_size(quote_ident(schemaname) || '.' || quote_ident(tablename))::bigint AS bytes,
            pg_size_pretty(pg_total_relation_size(quote_ident(schemaname) || '.' || quote_ident(tablename))) AS size
             FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 2 DESC LIMIT $1`,
            [p.limit],
          );
          // data_directory needs superuser or pg_read_all_settings; without it we report no disk figure.
          const dd = await c
            .query<{ v: string | null }>(`SELECT current_setting('data_directory', true) AS v`)
            .catch(() => ({ rows: [{ v: null }] }));
          return { db, tables, dataDir: dd.rows[0]?.v ?? null };
        },
      );
      const metrics: Record<string, Metric> = {
        database_bytes: Number(db.rows[0].bytes),
        database_size: db.rows[0].pretty,
      };
      const problems: string[] = [];
      const dir = p.data_directory ?? dataDir ?? undefined;
      if (dir) {
        try {
          const s = statfsSync(dir);
          const used = 100 * (1 - s.bavail / s.blocks);
          metrics.disk_used_pct = Math.round(used * 10) / 10;
          if (used > p.max_disk_pct) problems.push(`disk ${metrics.disk_used_pct}% used > ${p.max_disk_pct}%`);
        } catch {
          metrics.disk_used_pct = null;
        }
      }
      if (p.max_database_bytes && Number(db.rows[0].bytes) > p.max_database_bytes)
        problems.push(`database ${db.rows[0].pretty} > limit`);
      return {
        status: problems.length ? 'fail' : 'pass',
        summary:
          `database ` +
          `${db.rows[0].pretty}` +
          (metrics.disk_used_pct != null
            ? `, disk ${metrics.disk_used_pct}% used`
            : ', disk usage not readable from here') +
          (problems.length ? ' — ' + problems.join('; ') : ''),
        metrics,
        thresholds: { disk_used_pct: `<= ${p.max_disk_pct}` },
        evidence: [
          { columns: ['table', 'size', 'bytes'], rows: tables.rows.map((r) => [r.table, r.size, Number(r.bytes)]) },
        ],
      };
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics: {}, hint: f.hint };
    }
  },
});

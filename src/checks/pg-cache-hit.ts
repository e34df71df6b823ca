import { z } from 'zod';
import { type CheckOutcome, defineCheck } from './types.js';
import { classifyPgError } from './pg.js';

export const pgCacheHitCheck = defineCheck({
  type: 'pg.cache-hit',
  description: 'Heap (and index) cache hit ratio from pg_statio_user_tables',
  params: z
    .object({
      warn_below: z.number().min(0).max(1).default(0.99),
      fail_below: z.number().min(0).max(1).default(0.95),
      min_reads: z
        .number()
        .int()
        .nonnegative()
        .default(100)
        .describe('below this many block reads the ratio is not meaningful yet'),
    })
    .strict()
    .superRefine((p, ctx) => {
      // a lower ratio is worse: failing must start below where warning starts
      if (p.fail_below > p.warn_below)
        ctx.addIssue({
          code: 'custom',
          path: ['fail_below'],
          message: `${p.fail_below} is above warn_below (${p.warn_below}): the thresholds are inverted`,
          params: {
            hint: 'a lower ratio is worse, so fail_below is the lower one (e.g. warn_below: 0.99, fail_below: 0.95)',
          },
        });
    }),
  defaultTimeoutMs: 10_000,
  async run(p, ctx): Promise<CheckOutcome> {
    try {
      const r = await ctx.connections.readOnly(ctx.connection, { timeoutMs: ctx.timeoutMs, signal: ctx.signal }, (c) =>
        c.query<{
          heap_read: string;
          heap_hit: string;
          idx_read: string;
          idx_hit: string;
          ratio: string | null;
          idx_ratio: string | null;
        }>(
          `SELECT coalesce(sum(heap_blks_read), 0)::bigint AS heap_read, coalesce(sum(heap_blks_hit),
          0)::bigint AS heap_hit,
                  coalesce(sum(idx_blks_read), 0)::bigint AS idx_read, coalesce(sum(idx_blks_hit),
                  0)::bigint AS idx_hit,
                  sum(heap_blks_hit)::numeric / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0) AS ratio,
                  sum(idx_blks_hit)::numeric / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0) AS idx_ratio
             FROM pg_statio_user_tables`,
        ),
      );
      const x = r.rows[0];
      const reads = Number(x.heap_hit) + Number(x.heap_read);
      const ratio = x.ratio === null ? null : Number(x.ratio);
      const idx = x.idx_ratio === null ? null : Number(x.idx_ratio);
      const metrics = {
        heap_read: Number(x.heap_read),
        heap_hit: Number(x.heap_hit),
        cache_ratio: ratio === null ? null : round4(ratio),
        index_ratio: idx === null ? null : round4(idx),
      };
      const thresholds = { cache_ratio: `warn < ${p.warn_below}, fail < ${p.fail_below}` };
      const evidence = [
        {
          columns: ['heap_read', 'heap_hit', 'cache_ratio', 'index_ratio'],
          rows: [[metrics.heap_read, metrics.heap_hit, metrics.cache_ratio, metrics.index_ratio]],
        },
      ];
      const status = cacheVerdict(ratio, reads, p);
      if (status === 'advisory')
        return {
          status: 'pass',
          summary: `not enough reads yet to judge (${reads} block reads); advisory until statistics accumulate`,
          metrics,
          thresholds,
          evidence,
        };
      return {
        status,
        summary: `cache hit ratio ${((ratio ?? 0) * 100).toFixed(2)}% (target > ${p.warn_below * 100}%)`,
        metrics,
        thresholds,
        evidence,
        hint:
          status === 'pass'
            ? undefined
            : 'raise shared_buffers, or look for sequential scans on large tables (pg.index-usage)',
      };
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics: {}, hint: f.hint };
    }
  },
});

/** The verdict on a ratio; "advisory" while there are too few reads to judge (fresh database, just after a restore). */
export function cacheVerdict(
  ratio: number | null,
  reads: number,
  p: { warn_below: number; fail_below: number; min_reads: number },
): 'pass' | 'warn' | 'fail' | 'advisory' {
  if (ratio === null || reads < p.min_reads) return 'advisory';
  return ratio < p.fail_below ? 'fail' : ratio < p.warn_below ? 'warn' : 'pass';
}

function round4(n: number): number {
  return Math.round(n * 10000) / 10000;
}

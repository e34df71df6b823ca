import { z } from 'zod';
import { type CheckOutcome, defineCheck } from './types.js';
import { classifyPgError, quoteIdent } from './pg.js';

export const pgDuplicatesCheck = defineCheck({
  type: 'pg.duplicates',
  description: 'Duplicate keys for a table and a set of columns',
  params: z
    .object({
      table: z.string(),
      columns: z.array(z.string()).min(1).default(['id']),
      limit: z.number().int().positive().default(20),
    })
    .strict(),
  defaultTimeoutMs: 30_000,
  async run(p, ctx): Promise<CheckOutcome> {
    try {
      const cols = p.columns.map(quoteIdent).join(', ');
      const r = await ctx.connections.readOnly(ctx.connection, { timeoutMs: ctx.timeoutMs, signal: ctx.signal }, (c) =>
        c.query<Record<string, string | number | null> & { copies: number }>(
          `SELECT ${cols}, count(*)::int AS copies FROM ${quoteIdent(p.table)} GROUP BY ${cols} HAVING ` +
            `count(*) > 1 ORDER BY copies DESC LIMIT ${p.limit}`,
        ),
      );
      const n = r.rowCount ?? 0;
      return {
        status: n ? 'fail' : 'pass',
        summary: n
          ? `${n}${n === p.limit ? '+' : ''} duplicated ${p.columns.join(', ')} value${n === 1 ? '' : 's'} in ` +
            `${p.table}`
          : `no duplicate ${p.columns.join(', ')} in ${p.table}`,
        metrics: { duplicated_keys: n },
        thresholds: { duplicated_keys: '= 0' },
        evidence: [
          {
            columns: [...p.columns, 'copies'],
            rows: r.rows.map((row) => [...p.columns.map((c) => String(row[c])), row.copies]),
          },
        ],
        hint: n
          ? 'remove the extra copies carefully (keep MIN(ctid) per key), then add a unique constraint'
          : undefined,
      };
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics: {}, hint: f.hint };
    }
  },
});

import { z } from 'zod';
import { type CheckOutcome, defineCheck, type Evidence } from './types.js';
import { classifyPgError } from './pg.js';

const op = z.enum(['=', '!=', '<', '<=', '>', '>=']);

export const pgQueryCheck = defineCheck({
  type: 'pg.query',
  description: 'A read-only SQL query with expectations on its rows',
  params: z
    .object({
      sql: z.string(),
      args: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).default([]),
      expect_rows: z.number().int().nonnegative().optional(),
      min_rows: z.number().int().nonnegative().optional(),
      max_rows: z.number().int().nonnegative().optional(),
      expect: z
        .array(
          z
            .object({
              column: z.string(),
              op: op.default('='),
              value: z.union([z.string(), z.number(), z.boolean(), z.null()]),
            })
            .strict(),
        )
        .default([]),
      max_evidence_rows: z.number().int().positive().default(20),
    })
    .strict(),
  async run(p, ctx): Promise<CheckOutcome> {
    try {
      const r = await ctx.connections.readOnly(ctx.connection, { timeoutMs: ctx.timeoutMs, signal: ctx.signal }, (c) =>
        c.query(p.sql, p.args),
      );
      const problems: string[] = [];
      const n = r.rowCount ?? r.rows.length;
      if (p.expect_rows !== undefined && n !== p.expect_rows) problems.push(`${n} rows, expected ${p.expect_rows}`);
      if (p.min_rows !== undefined && n < p.min_rows) problems.push(`${n} rows, expected at least ${p.min_rows}`);
      if (p.max_rows !== undefined && n > p.max_rows) problems.push(`${n} rows, expected at most ${p.max_rows}`);
      for (const e of p.expect) {
        const row = r.rows[0] as Record<string, unknown> | undefined;
        const actual = row?.[e.column];
        if (!compare(actual, e.op, e.value))
          problems.push(`${e.column} = ${fmt(actual)}, expected ${e.op} ${fmt(e.value)}`);
      }
      const columns = r.fields.map((f) => f.name);
      const evidence: Evidence = {
        columns,
        rows: r.rows
          .slice(0, p.max_evidence_rows)
          .map((row) => columns.map((c) => cell((row as Record<string, unknown>)[c]))),
        omitted: Math.max(0, r.rows.length - p.max_evidence_rows),
      };
      const thresholds: Record<string, string> = {};
      if (p.expect_rows !== undefined) thresholds.rows = `= ${p.expect_rows}`;
      if (p.min_rows !== undefined) thresholds.rows = `>= ${p.min_rows}`;
      if (p.max_rows !== undefined)
        thresholds.rows = `${thresholds.rows ? thresholds.rows + ' and ' : ''}<= ${p.max_rows}`;
      for (const e of p.expect) thresholds[e.column] = `${e.op} ${fmt(e.value)}`;
      const first = r.rows[0] as Record<string, unknown> | undefined;
      const metrics: Record<string, string | number | boolean | null> = { rows: n };
      if (first && columns.length <= 8) for (const c of columns) metrics[c] = cell(first[c]);
      return {
        status: problems.length ? 'fail' : 'pass',
        summary: problems.length
          ? problems.join('; ')
          : `${n} row${n === 1 ? '' : 's'}${p.expect.length ? ', expectations met' : ''}`,
        metrics,
        thresholds,
        evidence: [evidence],
      };
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics: { failure: f.kind }, hint: f.hint };
    }
  },
});

export function cell(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  return JSON.stringify(v);
}
function fmt(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}
function compare(actual: unknown, o: z.infer<typeof op>, want: unknown): boolean {
  const numeric =
    typeof want === 'number' ||
    (typeof actual === 'string' && want !== null && !isNaN(Number(actual)) && !isNaN(Number(want)));
  const a = numeric ? Number(actual) : fmt(actual);
  const b = numeric ? Number(want) : fmt(want);
  switch (o) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

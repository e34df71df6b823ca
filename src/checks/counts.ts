import { z } from 'zod';
import { type CheckOutcome, defineCheck, type Metric } from './types.js';
import { classifyPgError, quoteIdent } from './pg.js';
import { countEntity } from './json-source.js';

export const countsCheck = defineCheck({
  type: 'counts',
  description: 'Record counts per entity: JSON files against PostgreSQL tables',
  params: z
    .object({
      entities: z.array(z.string()).min(1).describe('data entities to count; each needs a table unless source is json'),
      source: z.enum(['both', 'json', 'pg']).default('both'),
    })
    .strict(),
  defaultTimeoutMs: 60_000,
  async run(p, ctx): Promise<CheckOutcome> {
    const metrics: Record<string, Metric> = {};
    const rows: Array<Array<string | number | null>> = [];
    const mismatched: string[] = [];
    try {
      for (const name of p.entities) {
        const e = ctx.data[name];
        if (!e) return { status: 'error', summary: `unknown data entity "${name}"`, metrics };
        const json = p.source === 'pg' ? null : await countEntity(ctx.data, name, ctx.baseDir, ctx.signal);
        let pg: number | null = null;
        if (p.source !== 'json') {
          if (!e.table) return { status: 'error', summary: `entity "${name}" has no table`, metrics, hint: `add table: to data.${name}` };
          const r = await ctx.connections.readOnly(e.connection ?? ctx.connection, { timeoutMs: ctx.timeoutMs, signal: ctx.signal }, (c) =>
            c.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${quoteIdent(e.table!)}`),
          );
          pg = Number(r.rows[0].n);
        }
        if (json !== null) metrics[`json_${name}`] = json;
        if (pg !== null) metrics[`pg_${name}`] = pg;
        if (json !== null && pg !== null && json !== pg) mismatched.push(`${name} ${json}≠${pg}`);
        rows.push([name, json, pg, json !== null && pg !== null ? pg - json : null]);
      }
    } catch (e) {
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(f.message), metrics, hint: (e as { code?: string }).code === 'ENOENT' ? 'check the data file paths (DATA_DIR)' : f.hint };
    }
    const both = p.source === 'both';
    return {
      status: mismatched.length ? 'fail' : 'pass',
      summary: both
        ? mismatched.length
          ? `counts differ: ${mismatched.join(', ')}`
          : `counts equal: ${rows.map((r) => `${r[0]} ${r[1]}`).join(', ')}`
        : `${p.source === 'json' ? 'JSON' : 'PostgreSQL'} counts: ${rows.map((r) => `${r[0]} ${r[p.source === 'json' ? 1 : 2]}`).join(', ')}`,
      metrics,
      thresholds: both ? { difference: '= 0 per entity' } : {},
      evidence: [{ columns: ['entity', 'JSON', 'PostgreSQL', 'difference'], rows }],
    };
  },
});

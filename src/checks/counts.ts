import { z } from 'zod';
import { type CheckContext, type CheckOutcome, defineCheck, type Metric } from './types.js';
import { classifyPgError, quoteIdent } from './pg.js';
import { dataFileHint } from './json-elements.js';
import { countEntity } from './json-source.js';
import { IN_FLIGHT_MS, settle } from './live-writes.js';

/** How long writes in flight get to reach PostgreSQL after the JSON was read. */

export const countsCheck = defineCheck({
  type: 'counts',
  description: 'Record counts per entity: JSON files against PostgreSQL tables',
  params: z
    .object({
      entities: z.array(z.string()).min(1).describe('data entities to count; each needs a table unless source is json'),
      source: z.enum(['both', 'json', 'pg']).default('both'),
      distinct_keys: z
        .boolean()
        .optional()
        .describe(
          'count a key the JSON holds twice once (777 and "777" too): a migration that keeps one copy of a ' +
            'duplicated id (--on-duplicate) writes one row',
        ),
      created_column: z
        .string()
        .optional()
        .describe(
          'a column with each row\'s creation time: rows created after the JSON was read are "new since the ' +
            'read", not a difference — the gate holds while writes flow',
        ),
    })
    .strict(),
  defaultTimeoutMs: 60_000,
  refs: (p) => p.entities.map((entity, i) => ({ path: ['entities', i], entity })),
  async run(p, ctx): Promise<CheckOutcome> {
    const metrics: Record<string, Metric> = {};
    const rows: Array<Array<string | number | null>> = [];
    const mismatched: string[] = [];
    const notes: string[] = [];
    const asOf = p.created_column && p.source === 'both';
    try {
      for (const name of p.entities) {
        const e = ctx.data[name];
        if (!e) return { status: 'error', summary: `unknown data entity "${name}"`, metrics };
        // the JSON is read first, and when: PostgreSQL then, in one snapshot, says what came after
        const readStart = new Date();
        const json =
          p.source === 'pg' ? null : await countEntity(ctx.data, name, ctx.baseDir, ctx.signal, p.distinct_keys);
        const readEnd = new Date();
        // a write already in the JSON reaches PostgreSQL a moment later (dual-write): let it land
        if (asOf) await settle();
        let pg: number | null = null;
        let since = { start: 0, end: 0 };
        if (p.source !== 'json') {
          if (!e.table)
            return {
              status: 'error',
              summary: `entity "${name}" has no table`,
              metrics,
              hint: `add table: to data.${name}`,
            };
          ({ pg, since } = await pgCount(ctx, e, asOf ? p.created_column : undefined, readStart, readEnd));
        }
        if (json !== null) metrics[`json_${name}`] = json;
        if (pg !== null) metrics[`pg_${name}`] = pg;
        if (json !== null && pg !== null) {
          // a row created while the JSON was being read may be in it or not: both are consistent
          const consistent = asOf ? json >= pg - since.start && json <= pg - since.end : json === pg;
          if (asOf) {
            metrics[`new_since_read_${name}`] = since.end;
            const at = readStart.toISOString().slice(11, 19);
            notes.push(
              `${name}: JSON ${json} (read at ${at}), PostgreSQL ${pg}, ${pg - json} created since: ` +
                `${consistent ? 'consistent' : 'INCONSISTENT'}`,
            );
          }
          if (!consistent)
            mismatched.push(
              `${name} ${json}≠${pg}${asOf ? ` (${since.end}–${since.start} created since the read)` : ''}`,
            );
        }
        rows.push([name, json, pg, json !== null && pg !== null ? pg - json : null, ...(asOf ? [since.end] : [])]);
      }
    } catch (e) {
      const f = classifyPgError(e);
      return {
        status: 'error',
        summary: ctx.redactor.redact(f.message),
        metrics,
        hint: dataFileHint(e) ?? f.hint,
      };
    }
    const both = p.source === 'both';
    return {
      status: mismatched.length ? 'fail' : 'pass',
      summary: both
        ? mismatched.length
          ? `counts differ: ${mismatched.join(', ')}`
          : asOf
            ? `counts consistent: ${notes.join('; ')}`
            : `counts equal: ${rows.map((r) => `${r[0]} ${r[1]}`).join(', ')}`
        : `${p.source === 'json' ? 'JSON' : 'PostgreSQL'} counts: ` +
          `${rows.map((r) => `${r[0]} ${r[p.source === 'json' ? 1 : 2]}`).join(', ')}`,
      metrics,
      thresholds: both ? { difference: asOf ? '= rows created since the JSON was read' : '= 0 per entity' } : {},
      evidence: [
        { columns: ['entity', 'JSON', 'PostgreSQL', 'difference', ...(asOf ? ['created since the read'] : [])], rows },
      ],
    };
  },
});

/**
 * The table's rows in one snapshot; with a created column, also how many were created since the
 * JSON's read began (less a moment for writes in flight) and since it ended.
 */
async function pgCount(
  ctx: CheckContext,
  e: { table?: string; connection?: string },
  created: string | undefined,
  readStart: Date,
  readEnd: Date,
): Promise<{ pg: number; since: { start: number; end: number } }> {
  const col = created ? quoteIdent(created) : undefined;
  const sql = col
    ? `SELECT count(*)::bigint AS n, count(*) FILTER (WHERE ${col} > $1)::bigint AS s1, count(*) ` +
      `FILTER (WHERE ${col} > $2)::bigint AS s2 FROM ${quoteIdent(e.table!)}`
    : `SELECT count(*)::bigint AS n FROM ${quoteIdent(e.table!)}`;
  const r = await ctx.connections.readOnly(
    e.connection ?? ctx.connection,
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
    (c) =>
      // a write stamped just before the read may land in the file just after it
      c.query<{ n: string; s1?: string; s2?: string }>(
        sql,
        col ? [new Date(readStart.getTime() - IN_FLIGHT_MS).toISOString(), readEnd.toISOString()] : [],
      ),
  );
  const since = col ? { start: Number(r.rows[0].s1), end: Number(r.rows[0].s2) } : { start: 0, end: 0 };
  return { pg: Number(r.rows[0].n), since };
}

import { z } from 'zod';
import { type CheckOutcome, defineCheck, type Metric } from './types.js';
import { classifyPgError, quoteIdent } from './pg.js';
import { streamEntity } from './json-source.js';
import { normalize, pgTypeToField, rowHash, mapLegacyKey, type FieldType } from './normalize.js';
import { SortedRuns } from './sorted-runs.js';

const fieldSpec = z.union([
  z.string(),
  z.object({ column: z.string(), type: z.enum(['text', 'number', 'boolean', 'timestamp', 'date', 'json', 'key']).optional().describe('key: an id that refers to another record (legacy ids are mapped like keys)') }).strict(),
]);

const entitySpec = z
  .object({
    name: z.string(),
    table: z.string().optional(),
    key_column: z.string().default('id'),
    parent_column: z.string().optional().describe('column holding the parent key, for nested entities'),
    fields: z.record(z.string(), fieldSpec).describe('JSON field → PostgreSQL column'),
  })
  .strict();

type Diff = { entity: string; key: string; field: string; json: string | null; pg: string | null };

export const dataValidateCheck = defineCheck({
  type: 'data.validate',
  description: 'Row-level comparison JSON ↔ PostgreSQL by key: matched, missing, extra, mismatched, accuracy',
  params: z
    .object({
      entities: z.array(entitySpec).min(1),
      legacy_id_namespace: z.string().optional().describe('UUID namespace used to map non-UUID JSON ids (uuid v5)'),
      max_examples: z.number().int().positive().default(5),
      min_accuracy_pct: z.number().min(0).max(100).default(100),
    })
    .strict(),
  defaultTimeoutMs: 300_000,
  async run(p, ctx): Promise<CheckOutcome> {
    const metrics: Record<string, Metric> = {};
    const statRows: Array<Array<string | number>> = [];
    const examples: Diff[] = [];
    let discrepancies = 0;
    let worst = 100;
    try {
      for (const spec of p.entities) {
        const s = await validateEntity(spec, p.legacy_id_namespace, p.max_examples, ctx);
        const acc = s.accuracy;
        worst = Math.min(worst, acc);
        discrepancies += s.missing + s.extra + s.mismatched;
        Object.assign(metrics, {
          [`${spec.name}_json`]: s.json,
          [`${spec.name}_pg`]: s.pg,
          [`${spec.name}_matched`]: s.matched,
          [`${spec.name}_missing`]: s.missing,
          [`${spec.name}_extra`]: s.extra,
          [`${spec.name}_mismatched`]: s.mismatched,
          [`${spec.name}_accuracy_pct`]: acc,
        });
        statRows.push([spec.name, s.json, s.pg, s.matched, s.missing, s.extra, s.mismatched, `${acc.toFixed(1)}%`]);
        examples.push(...s.examples);
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      const f = classifyPgError(e);
      return { status: 'error', summary: ctx.redactor.redact(code === 'ENOENT' ? (e as Error).message : f.message), metrics, hint: code === 'ENOENT' ? 'check DATA_DIR' : f.hint };
    }
    metrics.discrepancies = discrepancies;
    metrics.accuracy_pct = worst;
    const ok = worst >= p.min_accuracy_pct;
    return {
      status: ok ? 'pass' : 'fail',
      summary: discrepancies === 0
        ? `Total Discrepancies Found: 0 — data is consistent (${statRows.map((r) => `${r[0]} ${r[3]}/${r[1]}`).join(', ')})`
        : `Total Discrepancies Found: ${discrepancies} — lowest accuracy ${worst.toFixed(1)}%`,
      metrics,
      thresholds: { accuracy_pct: `>= ${p.min_accuracy_pct}` },
      evidence: [
        { columns: ['entity', 'JSON count', 'PostgreSQL count', 'matched', 'missing in PG', 'extra in PG', 'mismatched', 'accuracy'], rows: statRows },
        ...(examples.length
          ? [{ columns: ['entity', 'key', 'field', 'JSON', 'PostgreSQL'], rows: examples.map((d) => [d.entity, d.key, d.field, ctx.redactor.redact(String(d.json)), ctx.redactor.redact(String(d.pg))]) }]
          : []),
      ],
      hint: ok ? undefined : 'Review the discrepancies, fix the data, re-run the migration (it is idempotent), then validate again',
    };
  },
});

interface EntityStats {
  json: number;
  pg: number;
  matched: number;
  missing: number;
  extra: number;
  mismatched: number;
  accuracy: number;
  examples: Diff[];
}

type Ctx = Parameters<(typeof dataValidateCheck)['run']>[1];

async function validateEntity(spec: z.output<typeof entitySpec>, ns: string | undefined, maxExamples: number, ctx: Ctx): Promise<EntityStats> {
  const entity = ctx.data[spec.name];
  if (!entity) throw new Error(`unknown data entity "${spec.name}"`);
  const table = spec.table ?? entity.table;
  if (!table) throw new Error(`entity "${spec.name}" has no table`);
  const fieldNames = Object.keys(spec.fields);
  const columns = fieldNames.map((f) => {
    const s = spec.fields[f];
    return typeof s === 'string' ? { column: s, type: undefined as FieldType | undefined } : { column: s.column, type: s.type as FieldType | undefined };
  });
  const conn = entity.connection ?? ctx.connection;
  const pool = await ctx.connections.pool(conn);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.floor(ctx.timeoutMs)}`);
    const [schema, rel] = table.includes('.') ? table.split('.', 2) : [null, table];
    const typeRows = await client.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 AND table_schema = coalesce($2, current_schema())`,
      [rel, schema],
    );
    const pgTypes = new Map(typeRows.rows.map((r) => [r.column_name, r.data_type]));
    if (pgTypes.size === 0) throw Object.assign(new Error(`table ${table} does not exist`), { code: '42P01' });
    const types: FieldType[] = columns.map((c) => {
      if (!pgTypes.has(c.column)) throw Object.assign(new Error(`column ${table}.${c.column} does not exist`), { code: '42703' });
      return c.type ?? pgTypeToField(pgTypes.get(c.column)!);
    });

    // Side 1: the JSON records in file order, reduced to (key, row hash) and sorted
    // externally — memory stays bounded by the sort's chunk size.
    const json = new SortedRuns();
    const jsonValues = (rec: Record<string, unknown>, parentKey: unknown) => {
      const vals = fieldNames.map((f, i) => normalize(rec[f], types[i], ns));
      if (spec.parent_column) vals.push(parentKey === undefined ? null : mapLegacyKey(parentKey, ns));
      return vals;
    };
    try {
      for await (const { value, parentKey } of streamEntity(ctx.data, spec.name, ctx.baseDir, ctx.signal)) {
        await json.add(mapLegacyKey(value[entity.key], ns), rowHash(jsonValues(value, parentKey)));
      }
      const jsonCount = json.count;

      // Side 2: PostgreSQL through a cursor, in the same key order (byte order of the
      // lower-cased key: uuid columns sort that way natively and keep their index).
      const { default: Cursor } = await import('pg-cursor');
      const key = quoteIdent(spec.key_column);
      const keyIsUuid = (pgTypes.get(spec.key_column) ?? '') === 'uuid';
      const cols = [...columns.map((c, i) => (types[i] === 'date' || types[i] === 'key' ? `${quoteIdent(c.column)}::text` : quoteIdent(c.column))), ...(spec.parent_column ? [`${quoteIdent(spec.parent_column)}::text`] : [])];
      const sql = `SELECT ${key}::text AS __key, ${cols.join(', ')} FROM ${quoteIdent(table)} ORDER BY ${keyIsUuid ? key : `lower(${key}::text) COLLATE "C"`}`;
      const cursor = client.query(new Cursor(sql, [], { rowMode: 'array' }));
      async function* pgRows(): AsyncGenerator<{ key: string; vals: Array<string | null> }> {
        for (;;) {
          if (ctx.signal.aborted) throw new Error('cancelled');
          const batch: unknown[][] = await cursor.read(2000);
          if (batch.length === 0) return;
          for (const row of batch) {
            const vals = columns.map((_, i) => normalize(row[i + 1], types[i], ns));
            if (spec.parent_column) vals.push(row[columns.length + 1] === null ? null : String(row[columns.length + 1]).toLowerCase());
            yield { key: String(row[0]).toLowerCase(), vals };
          }
        }
      }

      // Merge join of the two sorted streams.
      let pgCount = 0, matched = 0, extra = 0, mismatched = 0, missing = 0, duplicates = 0;
      const mismatchPg = new Map<string, Array<string | null>>();
      const extraKeys: string[] = [];
      const missingKeys: string[] = [];
      const js = json.sorted();
      const ps = pgRows();
      let j = await js.next();
      let p = await ps.next();
      let lastJsonKey: string | undefined;
      while (!j.done || !p.done) {
        if (!j.done && j.value[0] === lastJsonKey) {
          // the same key twice in JSON: one of them cannot match anything
          duplicates++;
          if (missingKeys.length < maxExamples) missingKeys.push(`${j.value[0]} (duplicate in JSON)`);
          j = await js.next();
          continue;
        }
        if (p.done || (!j.done && j.value[0] < p.value.key)) {
          missing++;
          if (missingKeys.length < maxExamples) missingKeys.push(j.value![0]);
          lastJsonKey = j.value![0];
          j = await js.next();
        } else if (j.done || p.value.key < j.value[0]) {
          pgCount++;
          extra++;
          if (extraKeys.length < maxExamples) extraKeys.push(p.value.key);
          p = await ps.next();
        } else {
          pgCount++;
          if (j.value[1] === rowHash(p.value.vals)) matched++;
          else {
            mismatched++;
            if (mismatchPg.size < maxExamples) mismatchPg.set(p.value.key, p.value.vals);
          }
          lastJsonKey = j.value[0];
          j = await js.next();
          p = await ps.next();
        }
      }
      await cursor.close();
      await client.query('COMMIT');
      missing += duplicates;

      // Only for the few examples shown: a second JSON pass to name the differing fields.
      const examples: Diff[] = [];
      if (mismatchPg.size) {
        const labels = [...fieldNames, ...(spec.parent_column ? [spec.parent_column] : [])];
        for await (const { value, parentKey } of streamEntity(ctx.data, spec.name, ctx.baseDir, ctx.signal)) {
          const key = mapLegacyKey(value[entity.key], ns);
          const pgVals = mismatchPg.get(key);
          if (!pgVals) continue;
          const jv = jsonValues(value, parentKey);
          labels.forEach((label, i) => {
            if (jv[i] !== pgVals[i]) examples.push({ entity: spec.name, key, field: label, json: jv[i], pg: pgVals[i] });
          });
          mismatchPg.delete(key);
          if (mismatchPg.size === 0) break;
        }
      }
      for (const k of missingKeys) examples.push({ entity: spec.name, key: k, field: '(row)', json: 'present', pg: 'missing' });
      for (const k of extraKeys) examples.push({ entity: spec.name, key: k, field: '(row)', json: 'missing', pg: 'present' });
      const denom = Math.max(jsonCount, pgCount);
      const accuracy = denom === 0 ? 100 : Math.floor((matched / denom) * 1000) / 10;
      return { json: jsonCount, pg: pgCount, matched, missing, extra, mismatched, accuracy, examples };
    } finally {
      json.dispose();
    }
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    client.release(broken ? true : undefined);
  }
}

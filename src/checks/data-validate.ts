import { z } from 'zod';
import { type CheckOutcome, defineCheck, type Metric } from './types.js';
import { classifyPgError, quoteIdent } from './pg.js';
import { streamEntity } from './json-source.js';
import { createHash } from 'node:crypto';
import { normalize, pgTypeToField, rowHash, mapLegacyKey, type FieldType, type Normalisation } from './normalize.js';
import { SortedRuns } from './sorted-runs.js';
import { IN_FLIGHT_MS, settle } from './live-writes.js';
import { fmtCount, progressEvery } from './progress.js';

const NORMS = ['trim', 'empty_is_null', 'case_insensitive'] as const;
const fieldSpec = z.union([
  z.string(),
  z
    .object({
      column: z.string(),
      type: z
        .enum(['text', 'number', 'boolean', 'timestamp', 'date', 'json', 'key'])
        .optional()
        .describe('key: an id that refers to another record (legacy ids are mapped like keys)'),
      normalize: z
        .array(z.enum(NORMS))
        .optional()
        .describe('forgiven differences for this field (none by default: the comparison is exact)'),
      default: z
        .union([z.string(), z.number(), z.boolean()])
        .optional()
        .describe('the column default the migration may fill where JSON has no value: accepted, and counted'),
    })
    .strict(),
]);

const entitySpec = z
  .object({
    name: z.string(),
    table: z.string().optional(),
    key_column: z.string().default('id'),
    parent_column: z.string().optional().describe('column holding the parent key, for nested entities'),
    fields: z.record(z.string(), fieldSpec).describe('JSON field → PostgreSQL column'),
    not_compared: z
      .record(z.string(), z.string())
      .optional()
      .describe('columns left out on purpose, each with the reason'),
    as_of_column: z
      .string()
      .optional()
      .describe(
        'a column with each row\'s creation time: rows created after the JSON was read are "new since the ' +
          'read", not discrepancies',
      ),
  })
  .strict();

/** The kinds of discrepancy, kept apart: each has its own count, examples and lines in the file. */
export const KINDS = ['missing', 'extra', 'differs', 'duplicate', 'malformed', 'default-filled'] as const;
/** Noted, never a discrepancy: a row written after the JSON was read (the migration goes on under live writes). */
const NEW = 'new-since-read';
/** Noted, never a discrepancy, in contains mode: a row PostgreSQL has and the JSON never had. */
const ONLY_PG = 'only-in-postgresql';
/** rows a cursor read brings from PostgreSQL */
const BATCH = 5000;
type Kind = (typeof KINDS)[number];
const KIND_LABEL: Record<Kind | typeof NEW | typeof ONLY_PG, string> = {
  [NEW]: 'new since the JSON was read (not a discrepancy)',
  [ONLY_PG]: 'only in PostgreSQL (contains mode: not a discrepancy)',
  missing: 'missing in PostgreSQL',
  extra: 'extra in PostgreSQL',
  differs: 'field differs',
  duplicate: 'duplicate in JSON',
  malformed: 'malformed JSON entry',
  'default-filled': 'default filled by the migration',
};

type Diff = {
  entity: string;
  kind: Kind | typeof NEW | typeof ONLY_PG;
  key: string;
  field: string;
  json: string | null;
  pg: string | null;
};

export const dataValidateCheck = defineCheck({
  type: 'data.validate',
  description:
    'Row-level comparison JSON ↔ PostgreSQL by key, exact unless a field declares a normalisation; every ' +
    'discrepancy by kind, all in a file',
  params: z
    .object({
      entities: z.array(entitySpec).min(1),
      legacy_id_namespace: z.string().optional().describe('UUID namespace used to map non-UUID JSON ids (uuid v5)'),
      max_examples: z.number().int().positive().default(5).describe('examples shown per kind (the file has every one)'),
      min_accuracy_pct: z.number().min(0).max(100).default(100),
      mode: z
        .enum(['equal', 'contains'])
        .default('equal')
        .describe(
          'contains: PostgreSQL holds every JSON record, equal; rows only in PostgreSQL are noted, not discrepancies',
        ),
    })
    .strict(),
  refs: (p) => p.entities.map((e, i) => ({ path: ['entities', i, 'name'], entity: e.name })),
  defaultTimeoutMs: 300_000,
  async run(p, ctx): Promise<CheckOutcome> {
    const metrics: Record<string, Metric> = {};
    const statRows: Array<Array<string | number>> = [];
    const examples: Diff[] = [];
    const notCompared: Array<[string, string, string]> = [];
    const normRows: Array<[string, string, string]> = [];
    const out = await openDiscrepancyFile(ctx.artifactsDir);
    const totals = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
    let worst = 100;
    let newSince = 0;
    let onlyInPg = 0;
    try {
      for (const spec of p.entities) {
        const s = await validateEntity(
          spec,
          p.legacy_id_namespace,
          p.max_examples,
          ctx,
          out.write,
          p.mode === 'contains',
        );
        worst = Math.min(worst, s.accuracy);
        for (const k of KINDS) totals[k] += s.kinds[k];
        newSince += s.newSinceRead;
        onlyInPg += s.onlyInPg;
        Object.assign(metrics, {
          [`${spec.name}_json`]: s.json,
          [`${spec.name}_pg`]: s.pg,
          [`${spec.name}_matched`]: s.matched,
          [`${spec.name}_missing`]: s.kinds.missing,
          [`${spec.name}_extra`]: s.kinds.extra,
          [`${spec.name}_mismatched`]: s.mismatched,
          [`${spec.name}_duplicates`]: s.kinds.duplicate,
          [`${spec.name}_malformed`]: s.kinds.malformed,
          [`${spec.name}_defaults_accepted`]: s.defaultsAccepted,
          [`${spec.name}_new_since_read`]: s.newSinceRead,
          ...(p.mode === 'contains' ? { [`${spec.name}_only_in_pg`]: s.onlyInPg } : {}),
          [`${spec.name}_accuracy_pct`]: s.accuracy,
        });
        statRows.push([
          spec.name,
          s.json,
          s.pg,
          s.matched,
          ...KINDS.map((k) => s.kinds[k]),
          `${s.accuracy.toFixed(1)}%`,
        ]);
        examples.push(...s.examples);
        notCompared.push(...s.notCompared.map(([c, why]) => [spec.name, c, why] as [string, string, string]));
        normRows.push(...s.norms.map(([f, n]) => [spec.name, f, n] as [string, string, string]));
      }
    } catch (e) {
      await out.discard();
      const code = (e as { code?: string }).code;
      const f = classifyPgError(e);
      return {
        status: 'error',
        summary: ctx.redactor.redact(code === 'ENOENT' ? (e as Error).message : f.message),
        metrics,
        hint: code === 'ENOENT' ? 'check DATA_DIR' : f.hint,
      };
    }
    const file = await out.close();
    const discrepancies = KINDS.reduce((n, k) => n + totals[k], 0);
    for (const k of KINDS) metrics[`kind_${k.replace('-', '_')}`] = totals[k];
    metrics.discrepancies = discrepancies;
    metrics.accuracy_pct = worst;
    // at 100 % required, any discrepancy fails, whatever its kind; below it, the accuracy decides
    const ok = worst >= p.min_accuracy_pct && (p.min_accuracy_pct < 100 || discrepancies === 0);
    const byKind = KINDS.filter((k) => totals[k])
      .map((k) => `${KIND_LABEL[k]} ${totals[k]}`)
      .join(', ');
    return {
      status: ok ? 'pass' : 'fail',
      summary:
        discrepancies === 0
          ? `Total Discrepancies Found: 0 — data is consistent ` +
            `(${statRows.map((r) => `${r[0]} ${r[3]}/${r[1]}`).join(', ')}` +
            `)${newSince ? `; ${newSince} written since the JSON was read` : ''}` +
            `${onlyInPg ? `; ${onlyInPg} only in PostgreSQL (contains mode)` : ''}`
          : `Total Discrepancies Found: ${discrepancies} — ${byKind}; lowest accuracy ${worst.toFixed(1)}%`,
      metrics,
      thresholds: { accuracy_pct: `>= ${p.min_accuracy_pct}` },
      evidence: [
        {
          columns: [
            'entity',
            'JSON count',
            'PostgreSQL count',
            'matched',
            ...KINDS.map((k) => KIND_LABEL[k]),
            'accuracy',
          ],
          rows: statRows,
        },
        {
          columns: ['entity', 'key', 'kind', 'field', 'JSON', 'PostgreSQL'],
          rows: examples.map((d) => [
            d.entity,
            d.key,
            KIND_LABEL[d.kind],
            d.field,
            ctx.redactor.redact(String(d.json)),
            ctx.redactor.redact(String(d.pg)),
          ]),
        },
        { columns: ['entity', 'column not compared', 'why'], rows: notCompared },
        {
          columns: ['entity', 'field', 'normalisation in force'],
          rows: normRows.length ? normRows : [['(all)', '(all)', 'none: exact comparison']],
        },
      ],
      artifacts: [{ name: 'every discrepancy (JSON lines)', ...file }],
      hint: ok
        ? undefined
        : 'Review the discrepancies (every one is in the file named below), fix the data, re-run the ' +
          'migration (it is idempotent), then validate again',
    };
  },
});

/** Every discrepancy, one JSON line each, written whole: its digest goes into the record. */
async function openDiscrepancyFile(dir: string | undefined) {
  const { mkdirSync, createWriteStream, renameSync, unlinkSync } = await import('node:fs');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- path.join does not use `this`
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const folder = dir ?? tmpdir();
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `discrepancies-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
  const stream = createWriteStream(`${file}.tmp`);
  const hash = createHash('sha256');
  let lines = 0;
  return {
    write: (d: Diff) => {
      const line = JSON.stringify(d) + '\n';
      hash.update(line);
      lines++;
      stream.write(line);
    },
    async close() {
      await new Promise<void>((r) => stream.end(r));
      renameSync(`${file}.tmp`, file);
      return { file, sha256: hash.digest('hex'), lines };
    },
    async discard() {
      await new Promise<void>((r) => stream.end(r));
      try {
        unlinkSync(`${file}.tmp`);
      } catch {
        /* never written */
      }
    },
  };
}

interface EntityStats {
  json: number;
  pg: number;
  matched: number;
  mismatched: number;
  defaultsAccepted: number;
  newSinceRead: number;
  onlyInPg: number;
  kinds: Record<Kind, number>;
  accuracy: number;
  examples: Diff[];
  notCompared: Array<[string, string]>;
  norms: Array<[string, string]>;
}

type Ctx = Parameters<(typeof dataValidateCheck)['run']>[1];

async function validateEntity(
  spec: z.output<typeof entitySpec>,
  ns: string | undefined,
  maxExamples: number,
  ctx: Ctx,
  emit: (d: Diff) => void,
  contains = false,
): Promise<EntityStats> {
  const entity = ctx.data[spec.name];
  if (!entity) throw new Error(`unknown data entity "${spec.name}"`);
  const table = spec.table ?? entity.table;
  if (!table) throw new Error(`entity "${spec.name}" has no table`);
  const fieldNames = Object.keys(spec.fields);
  const columns = fieldNames.map((f) => {
    const s = spec.fields[f];
    return typeof s === 'string'
      ? {
          column: s,
          type: undefined as FieldType | undefined,
          norms: [] as Normalisation[],
          dflt: undefined,
        }
      : {
          column: s.column,
          type: s.type,
          norms: s.normalize ?? [],
          dflt: s.default,
        };
  });
  const kinds = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  const examples: Diff[] = [];
  const shown = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  let newSinceRead = 0;
  let onlyInPg = 0;
  const report = (d: Omit<Diff, 'entity'>) => {
    const full = { entity: spec.name, ...d };
    emit(full);
    if (d.kind === NEW) return void newSinceRead++;
    if (d.kind === ONLY_PG) return void onlyInPg++;
    kinds[d.kind]++;
    if (shown[d.kind]++ < maxExamples) examples.push(full);
  };
  const conn = entity.connection ?? ctx.connection;
  const pool = await ctx.connections.pool(conn);
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.floor(ctx.timeoutMs)}`);
    await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    const [schema, rel] = table.includes('.') ? table.split('.', 2) : [null, table];
    const typeRows = await client.query<{ column_name: string; data_type: string; column_default: string | null }>(
      `SELECT column_name, data_type, column_default FROM information_schema.columns WHERE table_name = $1 ` +
        `AND table_schema = coalesce($2, current_schema()) ORDER BY ordinal_position`,
      [rel, schema],
    );
    const pgTypes = new Map(typeRows.rows.map((r) => [r.column_name, r.data_type]));
    const hasDefault = new Set(typeRows.rows.filter((r) => r.column_default !== null).map((r) => r.column_name));
    if (pgTypes.size === 0) throw Object.assign(new Error(`table ${table} does not exist`), { code: '42P01' });
    const types: FieldType[] = columns.map((c) => {
      if (!pgTypes.has(c.column))
        throw Object.assign(new Error(`column ${table}.${c.column} does not exist`), { code: '42703' });
      return c.type ?? pgTypeToField(pgTypes.get(c.column)!);
    });
    // every column is compared or named, with why not: nothing is left out unseen
    const used = new Set([
      spec.key_column,
      ...(spec.parent_column ? [spec.parent_column] : []),
      ...columns.map((c) => c.column),
      ...(spec.as_of_column ? [spec.as_of_column] : []),
    ]);
    const notCompared: Array<[string, string]> = typeRows.rows
      .filter((r) => !used.has(r.column_name))
      .map((r) => [r.column_name, spec.not_compared?.[r.column_name] ?? 'not mapped to a JSON field in the runbook']);
    const norms: Array<[string, string]> = fieldNames.flatMap((f, i) =>
      columns[i].norms.length ? [[f, columns[i].norms.join(', ')] as [string, string]] : [],
    );

    // Side 1: the JSON records in file order, reduced to (key, row hash) and sorted
    // externally — memory stays bounded by the sort's chunk size.
    const json = new SortedRuns();
    let tell = progressEvery(ctx.progress);
    const jsonValues = (rec: Record<string, unknown>, parentKey: unknown) => {
      const vals = fieldNames.map((f, i) => normalize(rec[f], types[i], ns, columns[i].norms));
      if (spec.parent_column) vals.push(parentKey === undefined ? null : mapLegacyKey(parentKey, ns));
      return vals;
    };
    const malformed = (where: string, what: string) =>
      report({ kind: 'malformed', key: where, field: '(entry)', json: what, pg: null });
    // when the JSON was read: rows PostgreSQL has from later on are new, not extra (with grace for a write in flight)
    const readStart = new Date(Date.now() - IN_FLIGHT_MS).toISOString();
    try {
      for await (const { value, parentKey } of streamEntity(ctx.data, spec.name, ctx.baseDir, ctx.signal, malformed)) {
        const k = value[entity.key];
        if (k === undefined || k === null || k === '') {
          malformed(`${spec.name} without ${entity.key}`, 'a record without a key');
          continue;
        }
        const spilling = json.add(mapLegacyKey(k, ns), rowHash(jsonValues(value, parentKey)));
        if (spilling) await spilling;
        if ((json.count & 1023) === 0)
          tell(json.count, (n, rate) => `${spec.name}: ${n} JSON records read (${rate}/s)`);
      }
      const jsonCount = json.count;
      // under live writes, what the JSON read saw must have reached PostgreSQL before the snapshot
      if (spec.as_of_column) await settle();

      // Side 2: PostgreSQL through a cursor, in the same key order (byte order of the
      // lower-cased key: uuid columns sort that way natively and keep their index).
      const { default: Cursor } = await import('pg-cursor');
      const key = quoteIdent(spec.key_column);
      const keyIsUuid = (pgTypes.get(spec.key_column) ?? '') === 'uuid';
      const colSql = (c: string, t: FieldType) => {
        const q = quoteIdent(c);
        // times with their microseconds, in UTC; dates and keys as text
        if (t === 'timestamp') return `to_char(${q}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
        return t === 'date' || t === 'key' ? `${q}::text` : q;
      };
      const asOf = spec.as_of_column ? `(${quoteIdent(spec.as_of_column)} > '${readStart}'::timestamptz)` : 'false';
      const cols = [
        ...columns.map((c, i) => colSql(c.column, types[i])),
        ...(spec.parent_column ? [`${quoteIdent(spec.parent_column)}::text`] : []),
        asOf,
      ];
      const sql =
        `SELECT ${key}::text AS __key, ${cols.join(', ')} FROM ${quoteIdent(table)} ORDER BY ` +
        `${keyIsUuid ? key : `lower(${key}::text) COLLATE "C"`}`;
      const cursor = client.query(new Cursor(sql, [], { rowMode: 'array' }));
      const newAt = columns.length + 1 + (spec.parent_column ? 1 : 0);
      let read = 0;
      tell = progressEvery(ctx.progress);
      async function* pgRows(): AsyncGenerator<{ key: string; vals: Array<string | null>; isNew: boolean }> {
        // the next batch is asked for before this one is compared: PostgreSQL works meanwhile
        let next = cursor.read(BATCH) as Promise<unknown[][]>;
        for (;;) {
          if (ctx.signal.aborted) throw new Error('cancelled');
          const batch = await next;
          if (batch.length === 0) return;
          next = batch.length < BATCH ? Promise.resolve([]) : (cursor.read(BATCH) as Promise<unknown[][]>);
          read += batch.length;
          tell(
            read,
            (n, rate) => `${spec.name}: ${n} of about ${fmtCount(jsonCount)} PostgreSQL rows compared (${rate}/s)`,
          );
          for (const row of batch) {
            const vals = columns.map((c, i) => normalize(row[i + 1], types[i], ns, c.norms));
            if (spec.parent_column)
              vals.push(row[columns.length + 1] === null ? null : String(row[columns.length + 1]).toLowerCase());
            yield { key: String(row[0]).toLowerCase(), vals, isNew: row[newAt] === true };
          }
        }
      }

      // Merge join of the two sorted streams.
      let pgCount = 0,
        matched = 0,
        mismatched = 0;
      const mismatchPg = new Map<string, Array<string | null>>();
      const js = json.sorted();
      const ps = pgRows();
      let j = await js.next();
      let p = await ps.next();
      let lastJsonKey: string | undefined;
      while (!j.done || !p.done) {
        if (!j.done && j.value[0] === lastJsonKey) {
          // the same key twice in JSON: one of them cannot match anything
          report({ kind: 'duplicate', key: j.value[0], field: '(row)', json: 'twice or more', pg: null });
          j = await js.next();
          continue;
        }
        if (p.done || (!j.done && j.value[0] < p.value.key)) {
          report({ kind: 'missing', key: j.value![0], field: '(row)', json: 'present', pg: 'missing' });
          lastJsonKey = j.value![0];
          j = await js.next();
        } else if (j.done || p.value.key < j.value[0]) {
          pgCount++;
          if (p.value.isNew)
            report({ kind: NEW, key: p.value.key, field: '(row)', json: 'not yet read', pg: 'present' });
          else if (contains)
            report({ kind: ONLY_PG, key: p.value.key, field: '(row)', json: 'not in the JSON', pg: 'present' });
          else report({ kind: 'extra', key: p.value.key, field: '(row)', json: 'missing', pg: 'present' });
          p = await ps.next();
        } else {
          pgCount++;
          if (j.value[1] === rowHash(p.value.vals)) matched++;
          else mismatchPg.set(p.value.key, p.value.vals);
          lastJsonKey = j.value[0];
          j = await js.next();
          p = await ps.next();
        }
      }
      await cursor.close();
      await client.query('COMMIT');

      // A second JSON pass names the differing fields of every row that differs.
      let defaultsAccepted = 0;
      if (mismatchPg.size) {
        const labels = [...fieldNames, ...(spec.parent_column ? [spec.parent_column] : [])];
        const cols = [
          ...columns,
          ...(spec.parent_column
            ? [{ column: spec.parent_column, type: 'key' as FieldType, norms: [], dflt: undefined }]
            : []),
        ];
        for await (const { value, parentKey } of streamEntity(ctx.data, spec.name, ctx.baseDir, ctx.signal)) {
          const key = mapLegacyKey(value[entity.key], ns);
          const pgVals = mismatchPg.get(key);
          if (!pgVals) continue;
          mismatchPg.delete(key);
          const jv = jsonValues(value, parentKey);
          let real = 0;
          labels.forEach((label, i) => {
            if (jv[i] === pgVals[i]) return;
            const c = cols[i];
            // JSON had no value and PostgreSQL filled its column default
            if (jv[i] === null && pgVals[i] !== null && hasDefault.has(c.column)) {
              if (c.dflt !== undefined && normalize(c.dflt, types[i] ?? 'text', ns) === pgVals[i])
                return void defaultsAccepted++;
              real++;
              return report({ kind: 'default-filled', key, field: label, json: null, pg: pgVals[i] });
            }
            real++;
            report({ kind: 'differs', key, field: label, json: jv[i], pg: pgVals[i] });
          });
          if (real) mismatched++;
          else matched++;
          if (mismatchPg.size === 0) break;
        }
      }
      const denom = Math.max(jsonCount, pgCount - newSinceRead - onlyInPg);
      const accuracy = denom === 0 ? 100 : Math.floor((matched / denom) * 1000) / 10;
      return {
        json: jsonCount,
        pg: pgCount,
        matched,
        mismatched,
        defaultsAccepted,
        newSinceRead,
        onlyInPg,
        kinds,
        accuracy,
        examples,
        notCompared,
        norms,
      };
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

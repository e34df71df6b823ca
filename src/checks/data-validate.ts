import { z } from 'zod';
import { type CheckContext, type CheckOutcome, defineCheck, type Metric } from './types.js';
import { classifyPgError } from './pg.js';
import { dataFileHint } from './json-elements.js';
import { createHash } from 'node:crypto';
import { KINDS, KIND_LABEL, type Diff, type Kind } from './validate-kinds.js';
import { validateAll, type EntityStats } from './validate-run.js';

const NORMS = ['trim', 'empty_is_null', 'case_insensitive', 'midnight_utc_is_date'] as const;
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

const paramsSchema = z
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
  .strict();
type Params = z.output<typeof paramsSchema>;

export const dataValidateCheck = defineCheck({
  type: 'data.validate',
  description:
    'Row-level comparison JSON ↔ PostgreSQL by key, exact unless a field declares a normalisation; every ' +
    'discrepancy by kind, all in a file',
  params: paramsSchema,
  refs: (p) => p.entities.map((e, i) => ({ path: ['entities', i, 'name'], entity: e.name })),
  defaultTimeoutMs: 300_000,
  run: (p: Params, ctx: CheckContext): Promise<CheckOutcome> => validate(p, ctx),
});

/** The comparison and its outcome: the entities of each file compared in a worker thread of their own. */
async function validate(p: Params, ctx: CheckContext): Promise<CheckOutcome> {
  const metrics: Record<string, Metric> = {};
  const statRows: Array<Array<string | number>> = [];
  const examples: Diff[] = [];
  const notCompared: Array<[string, string, string]> = [];
  const normRows: Array<[string, string, string]> = [];
  const out = await openDiscrepancyFile(
    ctx.artifactsDir,
    p.entities.map((e) => e.name),
  );
  const totals = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  let worst = 100;
  let newSince = 0;
  let onlyInPg = 0;
  let notKept = 0;
  let defaults = 0;
  try {
    const all =
      (await inWorkers(p, ctx, out.partPath)) ??
      (await validateAll(p.entities, ctx, { ...compareOptions(p), emit: out.write }));
    for (const [i, spec] of p.entities.entries()) {
      const s = all[i];
      worst = Math.min(worst, s.accuracy);
      for (const k of KINDS) totals[k] += s.kinds[k];
      newSince += s.newSinceRead;
      onlyInPg += s.onlyInPg;
      notKept += s.notKept;
      defaults += s.defaultsAccepted;
      Object.assign(metrics, entityMetrics(spec.name, s, p.mode));
      statRows.push([spec.name, s.json, s.pg, s.matched, ...KINDS.map((k) => s.kinds[k]), `${s.accuracy.toFixed(1)}%`]);
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
      hint: dataFileHint(e) ?? f.hint,
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
          `${onlyInPg ? `; ${onlyInPg} only in PostgreSQL (contains mode)` : ''}` +
          `${defaults ? `; ${defaults} missing values hold their declared column default` : ''}` +
          `${notKept ? `; ${notKept} copies of duplicated ids not kept (PostgreSQL holds another copy exactly)` : ''}`
        : `Total Discrepancies Found: ${discrepancies} — ${byKind}; lowest accuracy ${worst.toFixed(1)}%`,
    metrics,
    thresholds: { accuracy_pct: `>= ${p.min_accuracy_pct}` },
    evidence: evidenceOf(statRows, examples, notCompared, normRows, ctx),
    artifacts: [{ name: 'every discrepancy (JSON lines)', ...file }],
    hint: ok
      ? undefined
      : 'Review the discrepancies (every one is in the file named below), fix the data, re-run the ' +
        'migration (it is idempotent), then validate again',
  };
}

/** One entity's figures, named after it. */
function entityMetrics(name: string, s: EntityStats, mode: Params['mode']): Record<string, Metric> {
  return {
    [`${name}_json`]: s.json,
    [`${name}_pg`]: s.pg,
    [`${name}_matched`]: s.matched,
    [`${name}_missing`]: s.kinds.missing,
    [`${name}_extra`]: s.kinds.extra,
    [`${name}_mismatched`]: s.mismatched,
    [`${name}_duplicates`]: s.kinds.duplicate,
    [`${name}_malformed`]: s.kinds.malformed,
    [`${name}_defaults_accepted`]: s.defaultsAccepted,
    [`${name}_new_since_read`]: s.newSinceRead,
    [`${name}_not_kept`]: s.notKept,
    ...(mode === 'contains' ? { [`${name}_only_in_pg`]: s.onlyInPg } : {}),
    [`${name}_accuracy_pct`]: s.accuracy,
  };
}

/** The counts per entity, the first discrepancies, what was not compared, and the normalisations in force. */
function evidenceOf(
  statRows: Array<Array<string | number>>,
  examples: Diff[],
  notCompared: Array<[string, string, string]>,
  normRows: Array<[string, string, string]>,
  ctx: CheckContext,
): NonNullable<CheckOutcome['evidence']> {
  return [
    {
      columns: ['entity', 'JSON count', 'PostgreSQL count', 'matched', ...KINDS.map((k) => KIND_LABEL[k]), 'accuracy'],
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
  ];
}

/** Options of the comparison from the check's params. */
export const compareOptions = (p: Params) => ({
  ns: p.legacy_id_namespace,
  maxExamples: p.max_examples,
  contains: p.mode === 'contains',
});

/** heap of each worker thread: its comparison keeps ~100 MB live; the rest is room for garbage */
const WORKER_HEAP_MB = 224;
/**
 * (key, hash) pairs the workers' sorts hold in memory in all (~150 bytes each), shared out by
 * the size of each worker's file: the demo's 700k records at 200k users sort without writing a
 * run, and at 1M users (3.5M) the workers together stay within it. An equal 600k each went past
 * 512 MB there; an equal 400k each made the 500k-record projects.json spill at 200k.
 */
const WORKERS_SORT_BUDGET = 800_000;
/**
 * The young generation of each worker: every record parsed is garbage a moment later, and
 * a larger nursery lets more of it die there instead of in full collections (200k users:
 * GC time 1.0 → 0.5 s in the projects.json worker).
 */
const WORKER_YOUNG_MB = 64;

/**
 * Compares the entities of each JSON file in a worker thread of its own, at once: the two
 * files parse on two cores, and each worker's heap is capped (on one thread, parsing made
 * garbage faster than V8 collected it unasked: 700-860 MB for 1M users while ~150 MB was
 * alive). The session's thread stays free (the TUI keeps drawing). Each worker writes its
 * entities' discrepancies to their parts of the file. Undefined when the worker's file is not
 * there (running from source): the caller compares here.
 */
async function inWorkers(
  p: Params,
  ctx: CheckContext,
  partPath: (entity: string) => string,
): Promise<EntityStats[] | undefined> {
  const { existsSync, statSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const file = new URL('./validate-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(file))) return undefined;
  const { Worker } = await import('node:worker_threads');
  const { groupByFile } = await import('./json-source.js');
  const groups = groupByFile(
    ctx.data,
    p.entities.map((e) => e.name),
    ctx.baseDir,
  );
  const workers: Array<InstanceType<typeof Worker>> = [];
  const stop = () => workers.forEach((w) => void w.terminate());
  // a core with nothing to do: the workers still parsing may begin their tables' queries (validate-run.ts)
  const { availableParallelism } = await import('node:os');
  const running = new Set<InstanceType<typeof Worker>>();
  const spare = () => {
    if (running.size < availableParallelism()) for (const w of running) w.postMessage({ spareCore: true });
  };
  ctx.signal.addEventListener('abort', stop, { once: true });
  const bytes = new Map(groups.map((g) => [g.names.join(), fileSize(statSync, g.file)]));
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  const budgetOf = (names: string[]) =>
    Math.max(50_000, Math.round((WORKERS_SORT_BUDGET * bytes.get(names.join())!) / total));
  const one = (names: string[]) =>
    new Promise<EntityStats[]>((resolve, reject) => {
      const worker = new Worker(file, {
        workerData: {
          specs: p.entities.filter((e) => names.includes(e.name)),
          options: { ...compareOptions(p), sortBudget: budgetOf(names) },
          parts: Object.fromEntries(names.map((n) => [n, partPath(n)])),
          connectionDefs: ctx.connectionDefs,
          connection: ctx.connection,
          data: ctx.data,
          baseDir: ctx.baseDir,
          timeoutMs: ctx.timeoutMs,
        },
        // WAYMARK_VALIDATE_HEAP_MB: a smaller heap, for a test that proves the comparison streams
        resourceLimits: {
          maxOldGenerationSizeMb: Number(process.env.WAYMARK_VALIDATE_HEAP_MB) || WORKER_HEAP_MB,
          maxYoungGenerationSizeMb: WORKER_YOUNG_MB,
        },
        // not the flags this process was started with (--input-type, a heap size): the worker is a module file
        execArgv: [],
      });
      workers.push(worker);
      running.add(worker);
      worker.on(
        'message',
        (m: { progress?: string; done?: EntityStats[]; error?: { message: string; code?: string } }) => {
          if (m.progress) ctx.progress?.(m.progress);
          else if (m.done) {
            running.delete(worker);
            spare();
            resolve(m.done);
          } else if (m.error) reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        },
      );
      worker.on('error', reject);
      worker.on('exit', () => reject(new Error(ctx.signal.aborted ? 'cancelled' : 'the comparison stopped')));
    });
  try {
    const all = groups.map((g) => one(g.names));
    spare();
    const results = await Promise.all(all);
    const byName = new Map(groups.flatMap((g, i) => g.names.map((n, j) => [n, results[i][j]] as const)));
    return p.entities.map((e) => byName.get(e.name)!);
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    stop();
  }
}

/** A file's size in bytes, at least 1 (a missing file: its worker says so). */
function fileSize(statSync: typeof import('node:fs').statSync, file: string): number {
  try {
    return Math.max(1, statSync(file).size);
  } catch {
    return 1;
  }
}

/**
 * Every discrepancy, one JSON line each, written whole: its digest goes into the record. The
 * entities are compared at once, so each writes its own part; the file is their parts in the
 * runbook's order, the same file whatever finished first.
 */
async function openDiscrepancyFile(dir: string | undefined, entities: string[]) {
  const { mkdirSync, createWriteStream, createReadStream, renameSync, rmSync, existsSync } = await import('node:fs');
  // eslint-disable-next-line @typescript-eslint/unbound-method -- path.join does not use `this`
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const folder = dir ?? tmpdir();
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `discrepancies-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
  const parts = new Map<string, { path: string; stream: ReturnType<typeof createWriteStream> }>();
  const partPath = (entity: string) => `${file}.part-${entities.indexOf(entity)}`;
  const part = (entity: string) => {
    let p = parts.get(entity);
    if (!p) {
      const path = partPath(entity);
      p = { path, stream: createWriteStream(path) };
      parts.set(entity, p);
    }
    return p.stream;
  };
  const endAll = () => Promise.all([...parts.values()].map((p) => new Promise<void>((r) => p.stream.end(() => r()))));
  // parts are written here or by the workers (at partPath): all are read, and removed
  const removeParts = () => {
    for (const e of entities) rmSync(partPath(e), { force: true });
  };
  return {
    partPath,
    write: (d: Diff) => void part(d.entity).write(JSON.stringify(d) + '\n'),
    async close() {
      await endAll();
      const hash = createHash('sha256');
      const out = createWriteStream(`${file}.tmp`);
      let lines = 0;
      for (const entity of entities) {
        if (!existsSync(partPath(entity))) continue;
        for await (const chunk of createReadStream(partPath(entity))) {
          const buf = chunk as Buffer;
          hash.update(buf);
          for (const byte of buf) if (byte === 0x0a) lines++;
          if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
      }
      await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
      renameSync(`${file}.tmp`, file);
      removeParts();
      return { file, sha256: hash.digest('hex'), lines };
    },
    async discard() {
      await endAll();
      removeParts();
    },
  };
}

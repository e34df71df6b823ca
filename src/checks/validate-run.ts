// How data.validate compares: each JSON file is read once for all the entities it holds,
// each record reduced to (key, row hash) and sorted externally; then each table is read in
// key order, in one snapshot, and the two sorted streams are merged.
//
// The order in time is what keeps a comparison under live writes honest: a table's snapshot
// is taken at least SETTLE_MS after the moment its file's content is from, and it is used only
// when that moment is known (the file was not written while it was read). Within that rule the
// work overlaps: a table's query is begun while its file is still parsed (beginEarly), so the
// server reads, hashes and sorts its rows on the other core, and only the merge is left when
// the parse ends; the users table is compared while projects.json is parsed.
import type { CheckContext } from './types.js';
import { groupByFile, readEntities, streamEntity } from './json-source.js';
import type { ReadInfo } from './json-elements.js';
import { normalize, type Normalisation } from './normalize.js';
import { SortBudget } from './sorted-runs.js';
import { IN_FLIGHT_MS, SETTLE_MS } from './live-writes.js';
import { fmtCount, progressEvery } from './progress.js';
import { quoteIdent } from './pg.js';
import { comparisonSql, describeTable, refetch, serverHashes, toPgRow } from './validate-pg.js';
import type { PgRow, TableShape } from './validate-pg.js';
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import type Cursor from 'pg-cursor';
import { DEFAULTED } from './validate-kinds.js';
import { deferred, semaphore } from './async-gates.js';
import { merge } from './validate-merge.js';
import { Side, type EntitySpec, type EntityStats, type ValidateOptions } from './validate-side.js';

export type { EntitySpec, EntityStats, ValidateOptions } from './validate-side.js';

/** rows a cursor read brings from PostgreSQL */
const BATCH = 5000;
/**
 * (key, hash) pairs held in memory by all the sorts of one validation: about 120 MB. The heap
 * grows to a few times what it holds (the parse makes much garbage), so the comparison runs
 * in a worker whose heap is capped (data-validate.ts); past this, pairs spill to sorted files.
 */
const SORT_BUDGET = 800_000;
/** tables read at once: two cores, and a pool shared with the monitoring probes */
const PARALLEL_READS = 2;

type Ctx = CheckContext;

export async function validateAll(specs: EntitySpec[], ctx: Ctx, o: ValidateOptions): Promise<EntityStats[]> {
  const budget = new SortBudget(o.sortBudget ?? SORT_BUDGET);
  const sides = new Map<string, Side>();
  for (const spec of specs) {
    const entity = ctx.data[spec.name];
    if (!entity) throw new Error(`unknown data entity "${spec.name}"`);
    sides.set(spec.name, new Side(spec, entity, o, budget));
  }
  // one failure stops the others: a table read under way, a file being parsed
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let failed: unknown;
  const fail = (e: unknown) => {
    failed ??= e;
    stop.abort();
  };
  const gate = semaphore(PARALLEL_READS);
  const tables = new Map<string, Promise<EntityStats | undefined>>();
  // queries begun during a parse: each is handed to its table's comparison, or given up at the end
  const begun: Array<Promise<EarlyRead | undefined>> = [];
  const handed = new Set<EarlyRead>();
  const hand = (r: EarlyRead) => (handed.add(r), r);
  try {
    // what each table looks like decides how its JSON values are typed: asked first, all at once
    // (a connection each), a failure told in the order of the specs
    const described = await Promise.allSettled([...sides.values()].map((side) => describe(side, ctx)));
    for (const r of described) if (r.status === 'rejected') throw r.reason;
    for (const group of groupByFile(ctx.data, [...sides.keys()], ctx.baseDir)) {
      if (failed) break;
      const members = group.names.map((n) => sides.get(n)!);
      const readStart = new Date(Date.now() - IN_FLIGHT_MS).toISOString();
      for (const side of members) side.readStart = readStart;
      const info: ReadInfo = { size: 0, bytes: 0, openedAt: 0 };
      const parsing = { done: false, ended: deferred<void>() };
      const early = beginEarly(members, ctx, signal, gate, info, parsing, o);
      begun.push(...early.values());
      await parseGroup(group, sides, ctx, { signal, info }, parsing);
      // the file's content is from when it was opened, unless it was written while read
      const asOf = info.unchangedSinceOpen ? info.openedAt : Date.now();
      // the largest table first: it takes longest, and begun last it ran alone at the end (paired
      // runs at 200k users, tasks before projects and milestones: 0.96-0.97 of the time)
      for (const side of [...members].sort((a, b) => b.json.count - a.json.count)) {
        side.notBefore = side.spec.as_of_column ? asOf + SETTLE_MS : 0;
        const compare = async () => {
          const read = await early.get(side);
          // a snapshot of before the moment the content is from (written while read): read again
          if (read && !info.unchangedSinceOpen) giveUp(hand(read));
          else if (read) return compareTable(side, ctx, signal, hand(read)).finally(read.release);
          return gate(() => compareTable(side, ctx, signal));
        };
        tables.set(
          side.spec.name,
          compare().catch((e: unknown) => void fail(e)),
        );
      }
    }
    const stats = await Promise.all(specs.map((x) => tables.get(x.name) ?? Promise.resolve(undefined)));
    if (failed) throw asError(failed);
    return stats as EntityStats[];
  } catch (e) {
    fail(e);
    await Promise.allSettled(tables.values());
    throw asError(failed);
  } finally {
    // each one let go of as soon as it is there: its place among the reads is what a query
    // still waiting for one needs before it can see that the comparison has ended
    const letGo = (r: EarlyRead | undefined) => {
      if (r && !handed.has(r)) giveUp(r);
    };
    await Promise.allSettled(begun.map((b) => b.then(letGo)));
    for (const side of sides.values()) side.json.dispose();
  }
}

/** A file read once for all the entities it holds: each record to its side, progress told as it goes. */
async function parseGroup(
  group: { file: string; names: string[] },
  sides: Map<string, Side>,
  ctx: Ctx,
  read: { signal: AbortSignal; info: ReadInfo },
  parsing: { done: boolean; ended: { resolve: () => void } },
): Promise<void> {
  const { signal, info } = read;
  const tell = progressEvery(ctx.progress);
  let n = 0;
  try {
    await readEntities(ctx.data, group.names, ctx.baseDir, {
      signal,
      info,
      onRecord: (name, value, parentKey) => {
        if ((++n & 1023) === 0)
          tell(n, (c, rate) => `${fileLabel(group.file)}: ${pct(info)} read, ${c} JSON records (${rate}/s)`);
        return sides.get(name)!.add(value, parentKey);
      },
      onMalformed: (name, where, what) =>
        sides.get(name)!.report({ kind: 'malformed', key: where, field: '(entry)', json: what, pg: null }),
    });
  } finally {
    // the early queries stop waiting, whether the parse ended or failed
    parsing.done = true;
    parsing.ended.resolve();
  }
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));
const fileLabel = (f: string) => f.split('/').pop() ?? f;
const pct = (i: ReadInfo) => `${i.size ? Math.floor((100 * i.bytes) / i.size) : 0} %`;

/** A table's query begun while its file is parsed, its first rows read, its place among the reads held. */
interface EarlyRead {
  client: pg.PoolClient;
  cursor: Cursor<unknown[]>;
  first: unknown[][];
  release: () => void;
}

/** An early read not used: its connection is closed (it may be mid-query) and its place freed. */
function giveUp(read: EarlyRead): void {
  read.client.release(true);
  read.release();
}

/**
 * The tables of a file whose queries are begun while it is parsed, largest so far first, no
 * sooner than SETTLE_MS after the file was opened. Each connects and opens its transaction at
 * once; its query, which takes the snapshot, waits until a core is spare (another file's
 * comparison has ended: begun beside two parses, it only slowed them) or the parse has ended.
 * The query's first rows come after the server has hashed and sorted all of them, so when the
 * parse ends that work is done and only the merge is left. A table whose place among the reads
 * comes after the parse ended, or whose early query failed, is read as it always was (where a
 * failure is reported).
 */
function beginEarly(
  members: Side[],
  ctx: Ctx,
  signal: AbortSignal,
  gate: ReturnType<typeof semaphore>,
  info: ReadInfo,
  parsing: { done: boolean; ended: { promise: Promise<void> } },
  o: ValidateOptions,
): Map<Side, Promise<EarlyRead | undefined>> {
  const mode = o.early ?? 'auto';
  const settle = mode === 'always' ? 0 : SETTLE_MS;
  const late = () => signal.aborted || (parsing.done && mode === 'auto');
  const settled = (async () => {
    // openedAt is set as the file is opened, a moment after this began
    for (let wait = 0; !info.openedAt || wait > 0; wait = info.openedAt + settle - Date.now()) {
      await delay(Math.max(wait, 10), undefined, { signal });
      if (late()) return false;
    }
    return !late();
  })().catch(() => false);
  // paired runs at 200k users, queries begun beside both parses: 1.03 of the time
  const spare = mode === 'auto' && o.spareCore ? Promise.race([o.spareCore, parsing.ended.promise]) : undefined;
  const start = async (side: Side, release: () => void): Promise<EarlyRead | undefined> => {
    let client: pg.PoolClient | undefined;
    try {
      client = await (await ctx.connections.pool(side.entity.connection ?? ctx.connection)).connect();
      await beginSnapshot(client, ctx);
      // the snapshot is taken by the query, once a core is spare or the parse has ended
      await spare;
      if (signal.aborted) throw new Error('cancelled');
      const cursor = await openCursor(client, side);
      const first = await cursor.read(BATCH);
      return { client, cursor, first, release };
    } catch (e) {
      client?.release(true);
      release();
      if (mode === 'always') throw e;
      return undefined;
    }
  };
  const eligible = members.filter((s) => mode !== 'never' && serverHashes(s.shape));
  const done = new Map(eligible.map((s) => [s, deferred<EarlyRead | undefined>()]));
  void (async () => {
    const go = await settled;
    // places among the reads are taken in order of size, one after the other
    for (const side of [...eligible].sort((a, b) => b.json.count - a.json.count)) {
      const d = done.get(side)!;
      const release = go ? await gate.acquire() : undefined;
      if (!release || late()) {
        release?.();
        d.resolve(undefined);
      } else start(side, release).then(d.resolve, d.reject);
    }
  })();
  return new Map([...done].map(([s, d]) => [s, d.promise]));
}

async function describe(side: Side, ctx: Ctx): Promise<void> {
  const { spec, entity } = side;
  const table = spec.table ?? entity.table;
  if (!table) throw new Error(`entity "${spec.name}" has no table`);
  const fields = side.fieldNames.map((f) => {
    const s = spec.fields[f];
    return typeof s === 'string'
      ? { column: s, norms: [] as Normalisation[] }
      : { column: s.column, type: s.type, norms: s.normalize ?? [], dflt: s.default as string | number | boolean };
  });
  const pool = await ctx.connections.pool(entity.connection ?? ctx.connection);
  const client = await pool.connect();
  let broken = false;
  try {
    const { shape, typeRows } = await describeTable(client, table, spec.key_column, fields, spec.parent_column);
    if (side.o.serverHash === false) shape.serverHash = false;
    side.shape = shape;
    // every column is compared or named, with why not: nothing is left out unseen
    const used = new Set([spec.key_column, ...shape.columns.map((c) => c.column), spec.as_of_column ?? '']);
    side.notCompared = typeRows
      .filter((r) => !used.has(r.column_name))
      .map((r) => [r.column_name, spec.not_compared?.[r.column_name] ?? 'not mapped to a JSON field in the runbook']);
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    client.release(broken ? true : undefined);
  }
}

/** One snapshot for the read and for asking rows again (REPEATABLE READ); ISO dates whatever the server says. */
async function beginSnapshot(client: pg.PoolClient, ctx: Ctx): Promise<void> {
  // one round trip: a thread busy parsing answers each reply only between two chunks of its file
  await client.query(
    `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = ${Math.floor(ctx.timeoutMs)}; ` +
      `SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'`,
  );
}

/** The table's comparison rows, read a batch at a time (pg-cursor is loaded when a table is read). */
async function openCursor(client: pg.PoolClient, side: Side): Promise<Cursor<unknown[]>> {
  const { default: Cursor } = await import('pg-cursor');
  return client.query(new Cursor<unknown[]>(sideSql(side), [], { rowMode: 'array' }));
}

/** The SELECT of a table's comparison rows, with "new since the read" as of the JSON read's start. */
function sideSql(side: Side): string {
  const col = side.spec.as_of_column;
  return comparisonSql(side.shape, col ? `(${quoteIdent(col)} > '${side.readStart}'::timestamptz)` : 'false');
}

/**
 * Reads the table in key order within one snapshot and merges it with the sorted JSON side;
 * `early`: its query was begun while its file was parsed (beginEarly), in that snapshot.
 */
async function compareTable(side: Side, ctx: Ctx, signal: AbortSignal, early?: EarlyRead): Promise<EntityStats> {
  const wait = early ? 0 : side.notBefore - Date.now();
  if (wait > 0) await delay(wait);
  if (signal.aborted) throw new Error('cancelled');
  const { spec, shape, o } = side;
  const client =
    early?.client ?? (await (await ctx.connections.pool(side.entity.connection ?? ctx.connection)).connect());
  let broken = false;
  try {
    const jsonCount = side.json.count;
    const tell = progressEvery(ctx.progress);
    let read = 0;
    const told = (n: number) =>
      tell(
        (read += n),
        (c, rate) => `${spec.name}: ${c} of about ${fmtCount(jsonCount)} PostgreSQL rows compared (${rate}/s)`,
      );
    let cursor = early?.cursor;
    if (!cursor) {
      await beginSnapshot(client, ctx);
      cursor = await openCursor(client, side);
    }
    const rows = cursorRows(cursor, early?.first, shape, o.ns, signal, told);
    const merged = await merge(side, side.json.batches(), rows);
    // the JSON side is merged: its memory goes back to the budget of the sorts still filling
    side.json.dispose();
    await cursor.close();
    const pgVals = merged.mismatched.size
      ? await refetch(client, shape, [...merged.mismatched.values()], o.ns)
      : undefined;
    await client.query('COMMIT');
    const named = pgVals
      ? await nameDifferences(side, ctx, signal, pgVals)
      : { matched: 0, mismatched: 0, defaults: 0 };
    const matched = merged.matched + named.matched;
    // a copy of a duplicated id that was not kept (another copy is there, exactly) is no record to find
    const denom = Math.max(jsonCount - side.notKept, merged.pgCount - side.newSinceRead - side.onlyInPg);
    return {
      json: jsonCount,
      pg: merged.pgCount,
      matched,
      mismatched: named.mismatched,
      defaultsAccepted: named.defaults,
      newSinceRead: side.newSinceRead,
      onlyInPg: side.onlyInPg,
      notKept: side.notKept,
      kinds: side.kinds,
      readEarly: early !== undefined,
      accuracy: denom === 0 ? 100 : Math.floor((matched / denom) * 1000) / 10,
      examples: side.examples,
      notCompared: side.notCompared,
      norms: side.fieldNames.flatMap((f, i) =>
        shape.columns[i].norms.length ? [[f, shape.columns[i].norms.join(', ')] as [string, string]] : [],
      ),
    };
  } catch (e) {
    broken = true;
    throw e;
  } finally {
    client.release(broken ? true : undefined);
  }
}

/**
 * The comparison rows from a cursor, from its `first` batch when that was read already; the
 * next batch is asked for before this one is compared.
 */
async function* cursorRows(
  cursor: Cursor<unknown[]>,
  first: unknown[][] | undefined,
  shape: TableShape,
  ns: string | undefined,
  signal: AbortSignal,
  told: (n: number) => void,
): AsyncGenerator<PgRow[]> {
  const server = serverHashes(shape);
  let next = first ? Promise.resolve(first) : cursor.read(BATCH);
  for (;;) {
    if (signal.aborted) throw new Error('cancelled');
    const batch = await next;
    if (batch.length === 0) return;
    next = batch.length < BATCH ? Promise.resolve([]) : cursor.read(BATCH);
    told(batch.length);
    yield batch.map((row) => toPgRow(shape, row, ns, server));
  }
}

/** A second JSON pass names the differing fields of every row whose hashes differ. */
async function nameDifferences(side: Side, ctx: Ctx, signal: AbortSignal, pgVals: Map<string, Array<string | null>>) {
  const { spec, shape, o } = side;
  const labels = [...side.fieldNames, ...(spec.parent_column ? [spec.parent_column] : [])];
  let matched = 0;
  let mismatched = 0;
  let defaults = 0;
  for await (const { value, parentKey } of streamEntity(ctx.data, spec.name, ctx.baseDir, signal)) {
    const key = side.keyOf(value[side.entity.key], parentKey);
    const pv = pgVals.get(key);
    if (!pv) continue;
    pgVals.delete(key);
    const jv = side.values(value, parentKey);
    let real = 0;
    labels.forEach((label, i) => {
      if (jv[i] === pv[i]) return;
      const c = shape.columns[i];
      // JSON had no value and PostgreSQL filled its column default
      if (jv[i] === null && pv[i] !== null && shape.hasDefault.has(c.column)) {
        if (c.dflt !== undefined && normalize(c.dflt, c.type ?? 'text', o.ns) === pv[i]) {
          // declared: the migration fills it (and lists it); noted here too, never a discrepancy
          side.report({ kind: DEFAULTED, key, field: label, json: null, pg: pv[i] });
          return void defaults++;
        }
        real++;
        return side.report({ kind: 'default-filled', key, field: label, json: null, pg: pv[i] });
      }
      real++;
      side.report({ kind: 'differs', key, field: label, json: jv[i], pg: pv[i] });
    });
    if (real) mismatched++;
    else matched++;
    if (pgVals.size === 0) break;
  }
  return { matched, mismatched, defaults };
}

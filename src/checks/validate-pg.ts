// The PostgreSQL side of data.validate: what each compared column is, and its rows in key
// order reduced to (key, row hash).
//
// Where PostgreSQL can write a column's comparable text exactly as normalize() would (text,
// uuids, integers, booleans, and times and dates between the years 1 and 9999), the row hash
// is computed by the server: only a key and 44 characters cross the wire, and the hashing
// runs on the server's core while this process parses JSON. Any other column (numeric, json,
// a declared normalisation), or a value outside that range, is sent as a value and hashed
// here by the reference code. A hash the server got wrong could only ever make rows differ
// (the second pass then compares them field by field with the reference code); it could
// never make different rows equal, since then the server's text would have to equal the JSON
// side's while the reference text does not.
import type pg from 'pg';
import { quoteIdent } from './pg.js';
import { normalize, pgTypeToField, rowHash, type FieldType, type Normalisation } from './normalize.js';

export interface Column {
  column: string;
  type: FieldType;
  norms: Normalisation[];
  dflt?: string | number | boolean;
}

export interface TableShape {
  table: string;
  keyColumn: string;
  keyIsUuid: boolean;
  /** the compared columns (fields, then the parent column when there is one), typed */
  columns: Column[];
  /** the last column is the parent column: its text is lower-cased, whatever its type */
  hasParent: boolean;
  pgTypes: Map<string, string>;
  hasDefault: Set<string>;
  /** the server can hash rows (sha256() exists, text is UTF-8) */
  serverHash: boolean;
}

const TS = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** The table's columns and types; the compared ones typed from the runbook or from PostgreSQL. */
export async function describeTable(
  client: pg.PoolClient,
  table: string,
  keyColumn: string,
  fields: Array<Omit<Column, 'type'> & { type?: FieldType }>,
  parentColumn: string | undefined,
) {
  const [schema, rel] = table.includes('.') ? table.split('.', 2) : [null, table];
  const typeRows = await client.query<{ column_name: string; data_type: string; column_default: string | null }>(
    `SELECT column_name, data_type, column_default FROM information_schema.columns WHERE table_name = $1 ` +
      `AND table_schema = coalesce($2, current_schema()) ORDER BY ordinal_position`,
    [rel, schema],
  );
  const pgTypes = new Map(typeRows.rows.map((r) => [r.column_name, r.data_type]));
  if (pgTypes.size === 0) throw Object.assign(new Error(`table ${table} does not exist`), { code: '42P01' });
  const columns: Column[] = fields.map((c) => {
    if (!pgTypes.has(c.column))
      throw Object.assign(new Error(`column ${table}.${c.column} does not exist`), { code: '42703' });
    return { ...c, type: c.type ?? pgTypeToField(pgTypes.get(c.column)!) };
  });
  if (parentColumn) columns.push({ column: parentColumn, type: 'key', norms: [] });
  const server = await client.query<{ ok: boolean }>(
    `SELECT current_setting('server_version_num')::int >= 110000 AND ` +
      `current_setting('server_encoding') = 'UTF8' AS ok`,
  );
  const shape: TableShape = {
    table,
    keyColumn,
    keyIsUuid: pgTypes.get(keyColumn) === 'uuid',
    columns,
    hasParent: parentColumn !== undefined,
    pgTypes,
    hasDefault: new Set(typeRows.rows.filter((r) => r.column_default !== null).map((r) => r.column_name)),
    serverHash: server.rows[0]?.ok === true,
  };
  return { shape, typeRows: typeRows.rows };
}

/** The column as this process reads it: times with their microseconds in UTC, dates and keys as text. */
function valueSql(c: Column): string {
  const q = quoteIdent(c.column);
  // to_char() of infinity is NULL, which would equal a missing JSON value: its own text instead
  if (c.type === 'timestamp') return `CASE WHEN isfinite(${q}) THEN to_char(${q}, ${TS}) ELSE ${q}::text END`;
  return c.type === 'date' || c.type === 'key' ? `${q}::text` : q;
}

/**
 * The column's comparable text written by PostgreSQL, exactly as normalize() writes it for the
 * value this process would read; `domain` is where that holds. Undefined: only the reference can.
 */
export function serverText(c: Column, pgType: string, parent = false): ServerText | undefined {
  const t = plainText(c, pgType, parent);
  if (!t || !c.norms.length) return t;
  // A normalisation of text (trim, case) is the reference's own; of a date, a time, a number, a
  // boolean or a uuid, PostgreSQL's text has no blanks to trim, is never '', and is ASCII, which
  // lower() and toLowerCase() treat alike.
  if (c.type === 'text') return undefined;
  return c.norms.includes('case_insensitive') ? { ...t, expr: `lower(${t.expr})` } : t;
}

interface ServerText {
  expr: string;
  domain?: string;
}

function plainText(c: Column, pgType: string, parent: boolean): ServerText | undefined {
  const q = quoteIdent(c.column);
  // years 1 to 9999: what to_char and ::text write is then what isoMicros() gives back
  const years = `(${q} IS NULL OR (${q} >= '0001-01-01' AND ${q} < '10000-01-01'))`;
  if (parent) return pgType === 'uuid' ? { expr: `${q}::text` } : undefined;
  switch (c.type) {
    case 'text':
      if (pgType === 'uuid') return { expr: `${q}::text` };
      return ['text', 'character varying'].includes(pgType) ? { expr: `${q}::text` } : undefined;
    case 'key':
      return pgType === 'uuid' ? { expr: `${q}::text` } : undefined;
    case 'number':
      return pgType === 'integer' || pgType === 'smallint' ? { expr: `${q}::text` } : undefined;
    case 'boolean':
      return pgType === 'boolean' ? { expr: `CASE WHEN ${q} THEN 'true' WHEN NOT ${q} THEN 'false' END` } : undefined;
    case 'timestamp':
      return pgType.startsWith('timestamp') ? { expr: `to_char(${q}, ${TS})`, domain: years } : undefined;
    case 'date':
      return pgType === 'date' ? { expr: `${q}::text`, domain: years } : undefined;
    default:
      return undefined;
  }
}

export interface PgRow {
  key: string;
  /** the key as PostgreSQL writes it, to ask for the row again */
  rawKey: string;
  hash: string;
  isNew: boolean;
}

/** Whether the server hashes this table's rows (every compared column has a server text). */
export function serverHashes(shape: TableShape, useServerHash = shape.serverHash): boolean {
  return (
    useServerHash &&
    shape.columns.every((c, i) => serverText(c, shape.pgTypes.get(c.column) ?? '', isParent(shape, i)) !== undefined)
  );
}

/**
 * The hash of a row the server hashes except where a value is out of its range (year 10000,
 * infinity, BC): it equals no JSON hash, so the row is asked for again with its values and
 * compared field by field by the reference (validate-run.ts), equal or not. Such rows are
 * rare; every other row then crosses as key, hash and one flag, nothing else.
 */
export const OUT_OF_RANGE = 'out of the range the server hashes';

/**
 * The SELECT of the comparison: key, the server's row hash (NULL where it cannot make it),
 * whether the row is new since the JSON read, then each value when this process hashes.
 */
export function comparisonSql(shape: TableShape, asOf: string, useServerHash = shape.serverHash): string {
  const server = serverHashes(shape, useServerHash);
  const texts = shape.columns.map((c, i) => serverText(c, shape.pgTypes.get(c.column) ?? '', isParent(shape, i)));
  const domains = texts.flatMap((t) => (t?.domain ? [t.domain] : []));
  const inDomain = domains.length ? domains.join(' AND ') : 'true';
  // rowText(values) written by PostgreSQL: a row of the texts cast to text is record_out()'s
  // notation, which rowText() writes as PostgreSQL does (validate-pg.test.ts checks odd texts);
  // hashed as the bytes of that text (textsend: the database's encoding, UTF-8). One C function
  // for the row: 300k tasks took the server 0.48 s, where JSON text joined with || took 0.60 s.
  // record_out() quotes a blank as the C library's isspace() sees it: should a database's ctype
  // see one more, its rows only differ here, and the second pass, field by field, finds them
  // equal (slower, never wrong).
  const row = !server ? '' : `ROW(${texts.map((t) => t!.expr).join(', ')})::text`;
  const digest = `encode(sha256(textsend(${row})), 'base64')`;
  const hash = !server ? 'NULL::text' : domains.length ? `CASE WHEN ${inDomain} THEN ${digest} END` : digest;
  const values = server ? [] : shape.columns.map(valueSql);
  const key = quoteIdent(shape.keyColumn);
  return (
    `SELECT ${[`${key}::text`, hash, asOf, ...values].join(', ')} FROM ${quoteIdent(shape.table)} ORDER BY ` +
    `${shape.keyIsUuid ? key : `lower(${key}::text) COLLATE "C"`}`
  );
}

const isParent = (shape: TableShape, i: number) => shape.hasParent && i === shape.columns.length - 1;

/** A row's values as the reference normalises them. */
export function normalizedValues(shape: TableShape, row: unknown[], from: number, ns?: string): Array<string | null> {
  return shape.columns.map((c, i) => {
    const v = row[from + i];
    // the parent column is read as text (valueSql)
    if (isParent(shape, i)) return v === null ? null : (v as string).toLowerCase();
    return normalize(v, c.type, ns, c.norms);
  });
}

/**
 * Turns a row of comparisonSql() into the comparison's terms, hashing here what the server
 * does not; `server` is serverHashes() of the table, asked once.
 */
export function toPgRow(shape: TableShape, row: unknown[], ns?: string, server = false): PgRow {
  const rawKey = String(row[0]);
  const hash = (row[1] as string | null) ?? (server ? OUT_OF_RANGE : rowHash(normalizedValues(shape, row, 3, ns)));
  return { key: rawKey.toLowerCase(), rawKey, hash, isNew: row[2] === true };
}

/** The values of the given rows, as the reference normalises them, keyed like the comparison. */
export async function refetch(
  client: pg.PoolClient,
  shape: TableShape,
  rawKeys: string[],
  ns?: string,
): Promise<Map<string, Array<string | null>>> {
  const key = quoteIdent(shape.keyColumn);
  const out = new Map<string, Array<string | null>>();
  const values = shape.columns.map(valueSql).join(', ');
  for (let i = 0; i < rawKeys.length; i += 5000) {
    const batch = rawKeys.slice(i, i + 5000);
    const where = shape.keyIsUuid ? `${key} = ANY($1::uuid[])` : `${key}::text = ANY($1::text[])`;
    const r = await client.query<unknown[]>({
      text: `SELECT ${key}::text, ${values} FROM ${quoteIdent(shape.table)} WHERE ${where}`,
      values: [batch],
      rowMode: 'array',
    });
    for (const row of r.rows) out.set(String(row[0]).toLowerCase(), normalizedValues(shape, row, 1, ns));
  }
  return out;
}

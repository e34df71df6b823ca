// The row hash PostgreSQL computes must be the one this process computes from the same row
// (rowHash of the reference normalisation), for every value it hashes; a value it cannot
// write as the reference does must be left to the reference (no hash from the server).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../helpers/pg.js';
import { comparisonSql, describeTable, OUT_OF_RANGE, toPgRow, type TableShape } from '../../src/checks/validate-pg.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let client: pg.Client;

const odd = [
  'plain',
  '',
  ' padded ',
  'quote " and \\ backslash',
  'tab\tnew\nline\rcr\b\f',
  'controls \u0001 \u001f \u007f',
  'line sep \u2028 \u2029',
  'שלום',
  'emoji 😀',
  '{"json": "looking"}',
  'null',
  // what a row of texts quotes (record_out), and what it does not
  '(parens)',
  'a,b',
  '"',
  '\\',
  'vt\u000bff',
  'nbsp\u00a0nel\u0085',
  'trailing ',
];

beforeAll(async () => {
  db = await createTestDatabase('vpg');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await client.query(`CREATE TABLE t (id uuid PRIMARY KEY, s text, v varchar(40), n int, sn smallint, b boolean,
    ts timestamptz, tl timestamp, d date, k uuid, p uuid, big bigint, num numeric, j jsonb)`);
  const times = ['2024-01-01T10:00:00Z', '2024-02-29T23:59:59.999999Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z'];
  const outside = ['10000-01-01T00:00:00Z', 'infinity', '-infinity', '0044-03-15 BC'];
  let i = 0;
  const id = () => `00000000-0000-4000-8000-${String(++i).padStart(12, '0')}`;
  for (const s of odd)
    await client.query(`INSERT INTO t (id, s, v, n, sn, b, k, p) VALUES ($1, $2, $3, -7, 3, $4, $1, NULL)`, [
      id(),
      s,
      s.slice(0, 40),
      i % 2 === 0,
    ]);
  for (const t of times)
    await client.query(`INSERT INTO t (id, ts, tl, d) VALUES ($1, $2, $2::timestamptz AT TIME ZONE 'UTC', $3)`, [
      id(),
      t,
      t.slice(0, 10),
    ]);
  for (const t of outside)
    await client.query(`INSERT INTO t (id, ts, d) VALUES ($1, $2::timestamptz, $3::date)`, [
      id(),
      t,
      t === '0044-03-15 BC' ? t : t.startsWith('1') ? '10000-01-01' : t,
    ]);
  await client.query(`INSERT INTO t (id, big, num, j) VALUES ($1, 9007199254740993, 1.50, '{"b": 1, "a": [2]}')`, [
    id(),
  ]);
  await client.query(`INSERT INTO t (id) VALUES ($1)`, [id()]);
});
afterAll(async () => {
  await client?.end();
  await db?.close();
});

async function rows(shape: TableShape, server: boolean) {
  await client.query('BEGIN');
  await client.query(`SET LOCAL TIME ZONE 'UTC'`);
  await client.query(`SET LOCAL DateStyle = 'ISO, YMD'`);
  const r = await client.query<unknown[]>({ text: comparisonSql(shape, 'false', server), rowMode: 'array' });
  await client.query('COMMIT');
  return r.rows;
}

describe('server-side row hashes', () => {
  const fields = (cols: string[]) => cols.map((c) => ({ column: c, norms: [] as never[] }));

  it('equal the reference hash for every hashable row; the rest are left to the reference', async () => {
    const { shape } = await describeTable(
      client as unknown as pg.PoolClient,
      't',
      'id',
      [...fields(['s', 'v', 'n', 'sn', 'b', 'ts', 'tl', 'd']), { column: 'k', type: 'key', norms: [] }],
      'p',
    );
    expect(shape.serverHash).toBe(true);
    const server = await rows(shape, true);
    const reference = await rows(shape, false);
    expect(server).toHaveLength(reference.length);
    let hashedByServer = 0;
    for (let r = 0; r < server.length; r++) {
      const mine = toPgRow(shape, reference[r]);
      expect(reference[r][1]).toBeNull();
      if (server[r][1] !== null) {
        hashedByServer++;
        expect({ key: mine.key, hash: server[r][1] }).toEqual({ key: mine.key, hash: mine.hash });
      } else {
        // left to the reference: a hash that equals no JSON hash, so the row is asked for again
        // with its values and compared field by field
        expect(server[r]).toHaveLength(3);
        expect(toPgRow(shape, server[r], undefined, true).hash).toBe(OUT_OF_RANGE);
      }
    }
    expect(hashedByServer).toBeGreaterThanOrEqual(odd.length + 4);
    // years past 9999, infinities and BC dates are the reference's
    expect(server.filter((x) => x[1] === null)).toHaveLength(4);
  });

  it('declared normalisations: a date, a number or a uuid may be hashed by the server, text is not', async () => {
    const { shape } = await describeTable(
      client as unknown as pg.PoolClient,
      't',
      'id',
      [
        { column: 'd', norms: ['empty_is_null', 'case_insensitive'] },
        { column: 'ts', norms: ['trim', 'case_insensitive'] },
        { column: 'n', norms: ['trim'] },
      ],
      undefined,
    );
    const server = await rows(shape, true);
    const reference = await rows(shape, false);
    for (let r = 0; r < server.length; r++)
      if (server[r][1] !== null) expect(server[r][1]).toBe(toPgRow(shape, reference[r]).hash);
    expect(server.filter((x) => x[1] !== null).length).toBeGreaterThan(10);
    const text = await describeTable(
      client as unknown as pg.PoolClient,
      't',
      'id',
      [{ column: 's', norms: ['trim'] }],
      undefined,
    );
    expect((await rows(text.shape, true)).every((x) => x[1] === null)).toBe(true);
  });

  it('numeric, bigint and json columns are hashed by the reference only', async () => {
    // 9007199254740993 is past what a double holds, 1.50 is 1.5 to the reference: text would not do
    for (const c of ['big', 'num', 'j']) {
      const { shape } = await describeTable(client as unknown as pg.PoolClient, 't', 'id', fields([c]), undefined);
      expect((await rows(shape, true)).every((x) => x[1] === null)).toBe(true);
    }
  });
});

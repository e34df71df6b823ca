// The JSON store read into PostgreSQL temporary tables, row by row as the migration writes it:
// the one read both the migration (which upserts the staged rows) and the validation (which
// compares them with the tables) make. users.json is checked in a worker thread while this
// thread checks projects.json (the two cores share the parsing); each staged part is a
// temporary table on a connection of its own (a temporary table is its session's).
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import copyStreams from 'pg-copy-streams';
import { ENTITIES } from './conversions.js';
import { preflight, COLUMNS } from './preflight.js';

async function openCopy(pool, entity) {
  const client = await pool.connect();
  const cols = COLUMNS[entity];
  // the staged rows stay in memory rather than in temporary files (allowed only before a temp table is used)
  await client.query(`SET temp_buffers = '64MB'`);
  // __skip: staged only to be seen by the duplicate check (a child of a project already rejected)
  await client.query(
    `CREATE TEMP TABLE stage (__n bigint, __where text, __parent text, __id text, __skip boolean, __old uuid, LIKE ${ENTITIES[entity].table})`,
  );
  // the table's own rules (NOT NULL among them) judge each row in the upsert, not the whole COPY
  await client.query(`ALTER TABLE stage ${cols.map((c) => `ALTER COLUMN ${c} DROP NOT NULL`).join(', ')}`);
  const copy = client.query(copyStreams.from(`COPY stage (__n, __where, __parent, __id, __skip, __old, ${cols.join(', ')}) FROM STDIN`));
  const finished = new Promise((resolve, reject) => {
    copy.on('finish', resolve);
    copy.on('error', reject);
  });
  finished.catch(() => {}); // awaited when the read ends; an error meanwhile must not crash it
  return { client, copy, finished, buf: '' };
}

async function flush(s) {
  const text = s.buf;
  s.buf = '';
  if (text && !s.copy.write(text)) await once(s.copy, 'drain');
}

/** users.json's check in a worker thread: its rows, rejections and progress come as messages. */
function usersInWorker(stageFor, sink, defaults) {
  const worker = new Worker(new URL('./preflight-worker.js', import.meta.url), { workerData: { defaults } });
  return new Promise((resolve, reject) => {
    // one message after the other: the last rows are written before 'done' is taken
    let queue = Promise.resolve();
    const handle = async (m) => {
      if (m.t === 'rows') {
        const s = await stageFor(m.key);
        if (!s.copy.write(m.text)) await once(s.copy, 'drain');
        worker.postMessage('ack');
      } else if (m.t === 'reject') sink.reject(m.x, m.field, m.value, m.reason);
      else if (m.t === 'defaulted') sink.defaulted?.(m.x, m.fields);
      else if (m.t === 'progress') for (let i = 0; i < m.n; i++) sink.progress?.();
      else if (m.t === 'done') resolve(m.plan);
    };
    worker.on('message', (m) => (queue = queue.then(() => handle(m)).catch(reject)));
    worker.on('error', reject);
    worker.on('exit', (code) => code && reject(new Error(`the users.json check stopped (exit ${code})`)));
  });
}

/** The two files' plans as one, in the files' order. */
function mergePlans(parts) {
  const plan = { entities: {}, duplicates: [], unique: [], malformed: [], unconvertible: [], withoutColumn: {}, fromMap: [], defaultsFilled: {} };
  for (const p of parts) {
    Object.assign(plan.entities, p.entities);
    plan.malformed.push(...p.malformed);
    plan.unconvertible.push(...p.unconvertible);
    plan.fromMap.push(...p.fromMap);
    Object.assign(plan.withoutColumn, p.withoutColumn);
    Object.assign(plan.defaultsFilled, p.defaultsFilled);
  }
  return plan;
}

/**
 * Reads the whole store into staging tables. `sink`: { reject(x, field, value, reason),
 * defaulted?(x, fields), progress?() } (see preflight.js). Returns { stage: { 'entity#part':
 * { entity, client } }, parts: each file's plan, plan: the two merged, duplicates added }.
 * Nothing touches the real tables. The caller releases each stage's client.
 */
export async function stageStore(pool, sink, { defaults = 'fill' } = {}) {
  const stage = {};
  const opening = {};
  const stageFor = (key) => {
    const entity = key.split('#')[0];
    opening[key] ??= openCopy(pool, entity).then((s) => (stage[key] = { entity, ...s }));
    return opening[key];
  };
  const projects = preflight(
    'projects',
    {
      ...sink,
      async stage(entity, part, text) {
        const s = await stageFor(`${entity}#${part}`);
        s.buf += text;
        if (s.buf.length >= 1 << 18) await flush(s);
      },
      progress: () => sink.progress?.(),
    },
    { defaults },
  );
  try {
    const parts = await Promise.all([usersInWorker(stageFor, sink, defaults), projects]);
    for (const s of Object.values(stage)) {
      await flush(s);
      s.copy.end();
    }
    await Promise.all(Object.values(stage).map((s) => s.finished));
    const plan = mergePlans(parts);
    plan.duplicates.push(...(await duplicates(stage)));
    return { stage, parts, plan };
  } catch (e) {
    for (const s of Object.values(stage)) s.client.release(true);
    throw e;
  }
}

/**
 * Duplicate ids, found by the server in the staged rows: the same uuid twice (777 and "777" too),
 * in file order, each part on its own connection at once.
 */
async function duplicates(stage) {
  const found = await Promise.all(
    Object.values(stage).map(async ({ entity, client }) => {
      const r = await client.query(
        `SELECT id::text AS uuid, array_agg(__id ORDER BY __n) AS ids, array_agg(__where ORDER BY __n) AS wheres ` +
          `FROM stage GROUP BY id HAVING count(*) > 1 ORDER BY min(__n)`,
      );
      return r.rows.map((d) => ({ entity, uuid: d.uuid, records: d.ids.map((id, i) => ({ id: JSON.parse(id), where: d.wheres[i] })) }));
    }),
  );
  return found.flat();
}

#!/usr/bin/env node
// A small psql for the demo: -c, -f, -v ON_ERROR_STOP=1, \COPY ... TO/FROM ... CSV HEADER.
import { readFileSync, createWriteStream, writeFileSync } from 'node:fs';
import Cursor from 'pg-cursor';
import { parseArgs, client, fail } from './pg-args.js';

const o = parseArgs(process.argv.slice(2));
if (o.version) {
  console.log('psql (PostgreSQL) 18 — Waymark demo client (node-postgres)');
  process.exit(0);
}
const c = client(o);
c.on('notice', (n) => console.error(`NOTICE:  ${n.message}`));
try {
  await c.connect();
} catch (e) {
  fail(`psql: error: connection to server at "${c.host}", port ${c.port} failed: ${e.message}`, 2);
}

const csvCell = (v) => {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false, quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (ch === '"') q = false;
      else cell += ch;
    } else if (ch === '"') { q = true; quoted = true; }
    else if (ch === ',') { row.push(cell === '' && !quoted ? null : cell); cell = ''; quoted = false; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell === '' && !quoted ? null : cell); rows.push(row); row = []; cell = ''; quoted = false;
    } else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell === '' && !quoted ? null : cell); rows.push(row); }
  return rows;
}

async function copy(cmd) {
  const m = /^\\copy\s+([\w."]+)(?:\s*\(([^)]*)\))?\s+(to|from)\s+'([^']+)'\s*(.*?);?\s*$/i.exec(cmd.trim());
  if (!m) throw new Error(`cannot parse: ${cmd}`);
  const [, table, colList, dir, file, opts] = m;
  const header = /header/i.test(opts);
  if (dir.toLowerCase() === 'to') {
    const out = createWriteStream(file);
    const select = `SELECT ${colList ?? '*'} FROM ${table}`;
    if (header) out.write((await c.query(`${select} LIMIT 0`)).fields.map((f) => f.name).join(',') + '\n');
    const cur = c.query(new Cursor(select, [], { rowMode: 'array' }));
    let n = 0;
    for (;;) {
      const rows = await cur.read(1000);
      if (!rows.length) break;
      for (const r of rows) out.write(r.map(csvCell).join(',') + '\n');
      n += rows.length;
    }
    await cur.close();
    await new Promise((r) => out.end(r));
    console.log(`COPY ${n}`);
  } else {
    const rows = parseCsv(readFileSync(file, 'utf8'));
    const cols = header ? rows.shift() : colList?.split(',').map((s) => s.trim());
    await c.query('BEGIN');
    for (const r of rows) {
      if (r.length === 1 && r[0] === null) continue;
      await c.query(`INSERT INTO ${table} ${cols ? `(${cols.map((x) => `"${x}"`).join(',')})` : ''} VALUES (${r.map((_, i) => `$${i + 1}`).join(',')})`, r);
    }
    await c.query('COMMIT');
    console.log(`COPY ${rows.length}`);
  }
}

function print(r) {
  if (!r.fields?.length) return console.log(`${r.command}${r.command === 'INSERT' ? ' 0' : ''}${r.rowCount !== null && r.command !== 'INSERT' && r.command !== 'SELECT' ? ` ${r.rowCount}` : r.command === 'INSERT' ? ` ${r.rowCount}` : ''}`);
  const cols = r.fields.map((f) => f.name);
  const cells = r.rows.map((row) => cols.map((k) => (row[k] === null ? '' : row[k] instanceof Date ? row[k].toISOString() : typeof row[k] === 'object' ? JSON.stringify(row[k]) : String(row[k]))));
  const w = cols.map((k, i) => Math.max(k.length, ...cells.map((x) => x[i].length)));
  console.log(' ' + cols.map((k, i) => k.padEnd(w[i])).join(' | '));
  console.log('-' + w.map((n) => '-'.repeat(n)).join('-+-') + '-');
  for (const x of cells) console.log(' ' + x.map((v, i) => v.padEnd(w[i])).join(' | '));
  console.log(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`);
}

let code = 0;
try {
  for (const f of o.files) {
    const res = await c.query(readFileSync(f, 'utf8'));
    for (const r of [res].flat()) print(r);
  }
  for (const cmd of o.commands) {
    if (/^\s*\\copy/i.test(cmd)) await copy(cmd);
    else for (const r of [await c.query(cmd)].flat()) print(r);
  }
} catch (e) {
  console.error(`ERROR:  ${e.message}`);
  code = o.vars?.includes('ON_ERROR_STOP=1') || o.files.length ? 3 : 1;
}
await c.end();
process.exit(code);

// Shared by the demo's stand-ins for psql, createdb and pg_dump: the embedded
// PostgreSQL ships the server only, so the demo speaks to it through node-postgres.
import pg from 'pg';

export function parseArgs(argv) {
  const o = { commands: [], files: [], rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '-U' || a === '--username') o.user = next();
    else if (a === '-h' || a === '--host') o.host = next();
    else if (a === '-p' || a === '--port') o.port = next();
    else if (a === '-d' || a === '--dbname') o.database = next();
    else if (a === '-c' || a === '--command') o.commands.push(next());
    else if (a === '-f' || a === '--file') o.files.push(next());
    else if (a === '-v' || a === '--set') o.vars = [...(o.vars ?? []), next()];
    else if (a === '--version' || a === '-V') o.version = true;
    else o.rest.push(a);
  }
  return o;
}

export function client(o, database) {
  return new pg.Client({
    host: o.host ?? process.env.PGHOST ?? 'localhost',
    port: Number(o.port ?? process.env.PGPORT ?? 5432),
    user: o.user ?? process.env.PGUSER ?? 'postgres',
    password: process.env.PGPASSWORD,
    database: database ?? o.database ?? process.env.PGDATABASE ?? 'postgres',
    connectionTimeoutMillis: 5000,
    application_name: 'psql',
  });
}

export function fail(msg, code = 1) {
  console.error(msg);
  process.exit(code);
}

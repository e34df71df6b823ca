// Where each part of a PostgreSQL connection comes from, in libpq's spirit. For every field
// (host, port, database, user, password), the first that gives a value wins:
//   1. the runbook: a literal in its connection, or a var set in the environment or env file
//   2. the connection's url (DATABASE_URL in runbook.yaml), when it is set
//   3. libpq's variables: PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD
//   4. the var's default in the runbook (DB_HOST's "localhost")
// A var that reached a field by rule 2 or 3 takes that value everywhere (commands use
// ${DB_HOST} too), so the checks and the commands always talk to the same server.
import { referencedVars, substitute, type ResolvedVar } from './template.js';

export const FIELDS = ['host', 'port', 'database', 'user', 'password'] as const;
export type Field = (typeof FIELDS)[number];
const PGVAR: Record<Field, string> = {
  host: 'PGHOST',
  port: 'PGPORT',
  database: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
};

export interface FieldSource {
  value: string | undefined;
  /** "runbook", "env DB_HOST", "env file DB_HOST", "url", "env PGHOST", "default of DB_HOST", "not set" */
  source: string;
}

function fromUrl(url: string, f: Field): string | undefined {
  try {
    const u = new URL(url);
    const v = {
      host: u.hostname,
      port: u.port,
      database: decodeURIComponent(u.pathname.replace(/^\//, '')),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    }[f];
    return v || undefined;
  } catch {
    return undefined;
  }
}

const explicit = (v: ResolvedVar | undefined) =>
  !!v && (v.source === 'env' || v.source === 'env-file' || v.source === 'builtin');
const described = (name: string, v: ResolvedVar | undefined) =>
  v?.source === 'env'
    ? `env ${name}`
    : v?.source === 'env-file'
      ? `env file ${name}`
      : v?.source === 'builtin'
        ? `builtin ${name}`
        : `default of ${name}`;

/**
 * Resolves one connection's fields from its raw (untemplated) definition. Returns each field's
 * value and source, and the vars that rules 2 and 3 gave a value (to set before templating).
 */
export function resolveConnection(
  raw: Record<string, unknown>,
  vars: Record<string, ResolvedVar>,
  env: NodeJS.ProcessEnv,
): {
  fields: Record<Field, FieldSource>;
  url: string | undefined;
  derived: Record<string, ResolvedVar>;
} {
  const lookup = (n: string) => vars[n]?.value ?? '';
  const url = typeof raw.url === 'string' ? substitute(raw.url, lookup) || undefined : undefined;
  const urlVar = typeof raw.url === 'string' ? /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(raw.url.trim())?.[1] : undefined;
  const urlSource = urlVar ? `url (${described(urlVar, vars[urlVar])})` : 'url';
  const fields = {} as Record<Field, FieldSource>;
  const derived: Record<string, ResolvedVar> = {};
  for (const f of FIELDS) {
    const t = raw[f];
    const text = typeof t === 'string' ? t : typeof t === 'number' ? String(t) : undefined;
    const refs = text === undefined ? [] : referencedVars(text);
    const value = text === undefined ? undefined : substitute(text, lookup) || undefined;
    if (text !== undefined && (refs.length === 0 || refs.every((n) => explicit(vars[n])))) {
      fields[f] = { value, source: refs.length ? refs.map((n) => described(n, vars[n])).join(' + ') : 'runbook' };
      continue;
    }
    const inUrl = url ? fromUrl(url, f) : undefined;
    const fallback =
      (inUrl !== undefined && { value: inUrl, source: urlSource }) ||
      (env[PGVAR[f]] && { value: env[PGVAR[f]], source: `env ${PGVAR[f]}` }) ||
      undefined;
    if (fallback) {
      fields[f] = fallback;
      // a field written as exactly ${VAR}: the var follows, for the commands that use it
      const only = text !== undefined && /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(text.trim()) ? refs[0] : undefined;
      if (only && vars[only])
        derived[only] = { ...vars[only], value: fallback.value, source: 'derived', from: fallback.source };
      continue;
    }
    fields[f] = { value, source: value === undefined ? 'not set' : refs.map((n) => described(n, vars[n])).join(' + ') };
  }
  return { fields, url, derived };
}

/** The connection as Waymark uses it: fields resolved; a url kept only for what fields cannot say (sslmode…). */
export function resolvedDefinition(
  raw: Record<string, unknown>,
  fields: Record<Field, FieldSource>,
  url: string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  delete out.url;
  for (const f of FIELDS) out[f] = fields[f].value;
  if (url) {
    try {
      const u = new URL(url);
      if (u.search) out.url = rebuild(fields, u.search);
    } catch {
      out.url = url; // a url we cannot read: the driver says why
    }
  }
  return out;
}

function rebuild(fields: Record<Field, FieldSource>, search: string): string {
  const enc = encodeURIComponent;
  const auth = fields.user.value
    ? `${enc(fields.user.value)}${fields.password.value ? `:${enc(fields.password.value)}` : ''}@`
    : '';
  const host = fields.host.value ?? 'localhost';
  return (
    `postgres://${auth}${host.includes(':') ? `[${host}]` : host}` +
    `${fields.port.value ? `:${fields.port.value}` : ''}/${enc(fields.database.value ?? '')}${search}`
  );
}

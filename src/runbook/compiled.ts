// What a runbook's text alone decides, once it has been parsed and validated (compiled), and
// how the environment then completes it. The loader makes a Compiled from the text; this
// module turns it into a LoadedRunbook, the same way whether the Compiled was just made or
// read back from the cache (load/runbook-cache.ts). It imports neither YAML nor zod: a command
// that finds its runbook in the cache starts without loading them.
import { createHash } from 'node:crypto';
import { dirname, resolve as resolvePath, relative, isAbsolute } from 'node:path';
import type { Connection, Runbook } from './schema.js';
import type { Problem } from './errors.js';
import { referencedVars, resolveVars, readEnvFile, substitute, type ResolvedVar, type VarDef } from './template.js';
import { resolveConnection, resolvedDefinition, type Field, type FieldSource } from './connection-sources.js';
import { Redactor } from './redact.js';
import { UsageError } from './errors.js';

export const MAX_RUNBOOK_BYTES = 2 * 1024 * 1024;

export interface LoadedRunbook {
  file: string;
  dir: string;
  text: string;
  /** sha256 of the file's bytes: what the run was started with */
  hash: string;
  /** sha256 per phase / procedure, to tell which parts changed (drift) */
  partHashes: Record<string, string>;
  runbook: Runbook;
  vars: Record<string, ResolvedVar>;
  redactor: Redactor;
  /** each connection's fields and where each came from (`check --explain`) */
  connections: Record<string, { fields: Record<Field, FieldSource>; url: string | undefined }>;
  /** what the runbook may do but should not (a secret on a command line); `validate` shows them */
  warnings: Problem[];
  /** the environment the run is of (--env), when the runbook has environments */
  environment?: string;
  /** each environment's phases, by id: what a run there signs off (a promotion checks them all) */
  phasesIn?: Record<string, string[]>;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** the name shown in messages; defaults to the path as given */
  displayName?: string;
  /** --env, else WAYMARK_ENV: one of the runbook's environments */
  environment?: string;
  /** none named is fine (validate, schema-level reading): the runbook is read whole, in no environment */
  anyEnvironment?: boolean;
}

export interface Compiled {
  /** validated, defaults filled, vars not yet substituted */
  data: Runbook;
  partHashes: Record<string, string>;
  /** the env_file as written (it may use vars) */
  envFile: string;
  /** the connections as written: each field is resolved with libpq's order */
  rawConnections: Record<string, unknown>;
  /** every var a value of the runbook names */
  referenced: string[];
  /** each value on a command line: where it is and the vars it names (secret ones are warned about) */
  commandValues: Array<{ line: number; col: number; names: string[] }>;
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * The environment a run is of: the one named (--env, WAYMARK_ENV), which the runbook must have;
 * a runbook with environments needs one named, one without takes none. Undefined for the latter.
 */
export function chosenEnvironment(
  data: Pick<Runbook, 'environments'>,
  named: string | undefined,
  anyEnvironment = false,
): string | undefined {
  const names = Object.keys(data.environments ?? {});
  const list = names.join(', ');
  if (!named && names.length && !anyEnvironment)
    throw new UsageError(`this runbook runs in one of its environments (${list}): give --env NAME (or WAYMARK_ENV)`);
  if (named && !names.length)
    throw new UsageError(`--env ${named}: this runbook has no environments (declare them under environments:)`);
  if (named && !names.includes(named)) throw new UsageError(`--env ${named}: the runbook's environments are ${list}`);
  return named || undefined;
}

/**
 * The vars the environment gives the runbook: from the process's environment, the run's
 * environment (--env), its env file, or defaults.
 */
export function environmentOf(
  c: Pick<Compiled, 'data' | 'envFile'>,
  file: string,
  env: NodeJS.ProcessEnv,
  environment?: string,
) {
  const dir = dirname(file);
  // ${ENVIRONMENT} names the run's environment; read in none (validate), it is empty
  const has = Object.keys(c.data.environments ?? {}).length > 0;
  const builtins: Record<string, string> = { RUNBOOK_DIR: dir, ...(has ? { ENVIRONMENT: environment ?? '' } : {}) };
  const own = environment ? c.data.environments?.[environment] : undefined;
  // The env file path may itself use vars from the environment or the builtins.
  const envFilePath = resolvePath(
    dir,
    substitute(own?.env_file ?? c.envFile, (n) => env[n] ?? builtins[n]),
  );
  const defs = (c.data.vars ?? {}) as Record<string, VarDef>;
  const given = Object.fromEntries(Object.entries(own?.vars ?? {}).map(([k, v]) => [k, String(v)]));
  const vars = resolveVars(defs, env, { ...readEnvFile(envFilePath), ...given }, builtins);
  return { dir, envFilePath, defs, vars };
}

function phasesIn(rb: Runbook): Record<string, string[]> {
  return Object.fromEntries(
    Object.keys(rb.environments).map((e) => [
      e,
      rb.phases.filter((p) => !p.environments || p.environments.includes(e)).map((p) => p.id),
    ]),
  );
}

/** The runbook as it is in one environment: the phases and steps limited to others left out. */
function inEnvironment(rb: Runbook, environment: string | undefined): Runbook {
  if (!environment) return rb;
  const here = (x: { environments?: string[] }) => !x.environments || x.environments.includes(environment);
  const steps = <S extends { environments?: string[] }>(list: S[]) => list.filter(here);
  return {
    ...rb,
    phases: rb.phases.filter(here).map((p) => ({ ...p, steps: steps(p.steps) })),
    rollback: rb.rollback.map((r) => ({ ...r, steps: steps(r.steps) })),
  };
}

/**
 * The runbook as this environment completes it; undefined when the environment leaves it
 * incomplete (a cycle, a required var without a value): the loader then says where.
 */
export function complete(
  c: Compiled,
  file: string,
  text: string,
  shown: string,
  env: NodeJS.ProcessEnv,
  named?: string,
  anyEnvironment = false,
): LoadedRunbook | undefined {
  const environment = chosenEnvironment(c.data, named, anyEnvironment);
  const { dir, defs, vars } = environmentOf(c, file, env, environment);
  // libpq's order for each connection field; a var a field fell back for follows it (see connection-sources)
  const connections: LoadedRunbook['connections'] = {};
  for (const [name, conn] of Object.entries(c.rawConnections)) {
    if (!conn || typeof conn !== 'object') continue;
    const r = resolveConnection(conn as Record<string, unknown>, vars, env);
    Object.assign(vars, r.derived);
    connections[name] = { fields: r.fields, url: r.url };
  }
  if (Object.values(vars).some((v) => v.cycle)) return undefined;
  for (const name of c.referenced)
    if (!vars[name] || (vars[name].value === undefined && defs[name]?.required)) return undefined;

  const lookup = (n: string) => vars[n]?.value ?? '';
  const runbook = inEnvironment(templateDeep(c.data, lookup) as Runbook, environment);
  for (const [name, conn] of Object.entries(connections))
    if (runbook.connections[name])
      runbook.connections[name] = resolvedDefinition(runbook.connections[name], conn.fields, conn.url) as Connection;
  const secrets = Object.values(vars)
    .filter((v) => v.secret && v.value)
    .map((v) => v.value!);
  // a webhook's URL is its credential (a Slack webhook's path is its token), wherever it came from
  for (const n of runbook.notify ?? []) if (n.url) secrets.push(n.url);
  // a password may come from PGPASSWORD or a url, not from a var: it is a secret all the same
  for (const conn of Object.values(connections))
    if (conn.fields.password.value) secrets.push(conn.fields.password.value);
  const secret = secretVars(vars, defs);
  const warnings: Problem[] = c.commandValues.flatMap(({ line, col, names }) =>
    names
      .filter((n) => secret.has(n))
      .map((name) => ({
        file: shown,
        line,
        col,
        message:
          `secret var \${${name}} is written into a command line, where any user of the machine ` + `can read it (ps)`,
        hint: `pass it through env: (e.g. env: { TOKEN: "\${${name}}" }) and use "$TOKEN" in the command`,
      })),
  );
  return {
    file,
    dir,
    text,
    hash: sha256(text),
    partHashes: c.partHashes,
    runbook,
    vars,
    redactor: new Redactor(secrets),
    warnings,
    connections,
    ...(environment ? { environment, phasesIn: phasesIn(c.data) } : {}),
  };
}

/** Vars that hold a secret: declared secret, or made from one by their default (`postgres://u:${PASS}@h`). */
export function secretVars(vars: Record<string, ResolvedVar>, defs: Record<string, VarDef>): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const bears = (name: string): boolean => {
    if (out.has(name)) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    const v = vars[name];
    const def = defs[name];
    const made =
      v?.source === 'default' && def?.default !== undefined && referencedVars(String(def.default)).some(bears);
    if (v?.secret || made) out.add(name);
    return out.has(name);
  };
  for (const name of Object.keys(vars)) bears(name);
  return out;
}

function templateDeep(value: unknown, lookup: (n: string) => string): unknown {
  if (typeof value === 'string') return substitute(value, lookup);
  if (Array.isArray(value)) return value.map((v) => templateDeep(v, lookup));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = templateDeep(v, lookup);
    return out;
  }
  return value;
}

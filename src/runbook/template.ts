// `${VAR}` templating. `$${` writes a literal `${` (for shell code inside commands).
import { readFileSync, existsSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';

export const VAR_REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface VarDef {
  default?: string | number | boolean;
  env?: string;
  secret?: boolean;
  description?: string;
  required?: boolean;
}

export interface ResolvedVar {
  value: string | undefined;
  source: 'env' | 'env-file' | 'default' | 'builtin' | 'unset' | 'derived';
  /** for a derived var: where its value came from ("env PGHOST", "url") */
  from?: string;
  secret: boolean;
  description?: string;
  /** set on a var whose default leads back to itself: the names along the way, e.g. [A, B, A] */
  cycle?: string[];
}

/** Names referenced as `${NAME}` in a string. */
export function referencedVars(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(VAR_REF)) if (m[1]) names.push(m[1]);
  return names;
}

export function substitute(text: string, lookup: (name: string) => string | undefined): string {
  return text.replace(VAR_REF, (whole, name: string | undefined) => {
    if (!name) return '${';
    const v = lookup(name);
    return v === undefined ? whole : v;
  });
}

export function readEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return parseDotenv(readFileSync(file));
}

/**
 * Resolves every var: process env first, then the env file, then the default.
 * Defaults may themselves use `${OTHER}`; a cycle resolves to undefined and is recorded on the
 * var where it was found (`cycle`), for the loader to report with its position.
 */
export function resolveVars(
  defs: Record<string, VarDef>,
  env: NodeJS.ProcessEnv,
  envFile: Record<string, string>,
  builtins: Record<string, string>,
): Record<string, ResolvedVar> {
  const out: Record<string, ResolvedVar> = {};
  for (const [name, value] of Object.entries(builtins)) out[name] = { value, source: 'builtin', secret: false };
  const resolving: string[] = [];
  const cycles = new Map<string, string[]>();
  const resolve = (name: string): string | undefined => {
    if (out[name]) return out[name].value;
    const def = defs[name];
    if (!def) return undefined;
    if (resolving.includes(name)) {
      const from = resolving.indexOf(name);
      const cycle = [...resolving.slice(from), name];
      for (const member of resolving.slice(from)) if (!cycles.has(member)) cycles.set(member, cycle);
      return undefined;
    }
    resolving.push(name);
    const key = def.env ?? name;
    let r: ResolvedVar;
    if (env[key] !== undefined) r = { value: env[key], source: 'env', secret: !!def.secret };
    else if (envFile[key] !== undefined) r = { value: envFile[key], source: 'env-file', secret: !!def.secret };
    else if (def.default !== undefined) {
      r = { value: substitute(String(def.default), resolve), source: 'default', secret: !!def.secret };
    } else r = { value: undefined, source: 'unset', secret: !!def.secret };
    r.description = def.description;
    resolving.pop();
    const cycle = cycles.get(name);
    if (cycle) {
      r.cycle = cycle;
      r.value = undefined; // never a half-substituted value with a literal ${…} in it
    }
    out[name] = r;
    return r.value;
  };
  for (const name of Object.keys(defs)) resolve(name);
  return out;
}

// A runbook validated once is not validated again: the compiled form of its text (parsed,
// checked, defaults filled; vars not yet substituted, so no value from the environment) is
// kept under a hash of the text and of this build. A command that finds it skips YAML and
// zod altogether (about 200 ms of a 350 ms `waymark check`). The environment is applied
// afresh on every load; a runbook the environment leaves incomplete, a changed file, another
// build, or a cache that cannot be read all take the full load, which says what is wrong.
import { readFileSync, statSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { serialize, deserialize } from 'node:v8';
import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import {
  complete,
  displayPath,
  sha256,
  MAX_RUNBOOK_BYTES,
  type Compiled,
  type LoadedRunbook,
} from '../runbook/compiled.js';
import type { LoadOptions } from '../runbook/compiled.js';

/** This build's identity (written by the build): a Compiled is trusted only by the code that made it. */
function buildId(): string | undefined {
  try {
    return readFileSync(new URL('../build-id', import.meta.url), 'utf8').trim() || undefined;
  } catch {
    return undefined; // running from source (the tests): no cache
  }
}

export function cacheDir(env: NodeJS.ProcessEnv): string {
  return env.WAYMARK_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'waymark', 'runbooks');
}

/** Loads a runbook file, from the cache when this build has compiled the same text before. */
export async function loadRunbookFile(file: string, opts: LoadOptions = {}): Promise<LoadedRunbook> {
  const env = opts.env ?? process.env;
  const id = env.WAYMARK_NO_CACHE ? undefined : buildId();
  let text: string | undefined;
  let key: string | undefined;
  if (id) {
    try {
      const st = statSync(file);
      if (st.isFile() && st.size <= MAX_RUNBOOK_BYTES) {
        text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
        key = sha256(`${id}\0${text}`);
        const compiled = deserialize(readFileSync(join(cacheDir(env), `${key}.v8`))) as Compiled;
        const shown = opts.displayName ?? displayPath(file);
        const lr = complete(compiled, resolvePath(file), text, shown, env, opts.environment, opts.anyEnvironment);
        if (lr) return lr;
      }
    } catch {
      /* not cached yet, or unreadable: the full load below */
    }
  }
  const { loadRunbook, compiledOf } = await import('./loader.js');
  const lr = loadRunbook(file, opts);
  const compiled = compiledOf.get(lr);
  if (key && compiled && lr.text === text) save(cacheDir(env), key, compiled);
  return lr;
}

function save(dir: string, key: string, compiled: Compiled): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, serialize(compiled), { mode: 0o600 });
    renameSync(tmp, join(dir, `${key}.v8`));
  } catch {
    /* a cache that cannot be written is only slower */
  }
}

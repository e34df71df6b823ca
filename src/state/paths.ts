import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../runbook/errors.js';
import type { Runbook } from '../runbook/schema.js';

/** --state-dir, else WAYMARK_STATE_DIR, else $XDG_STATE_HOME/waymark (~/.local/state/waymark). */
export function stateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.WAYMARK_STATE_DIR) return resolve(env.WAYMARK_STATE_DIR);
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'waymark');
}

/**
 * --state-url, else WAYMARK_STATE_URL: the run lives in that PostgreSQL database. A password
 * belongs in the environment (WAYMARK_STATE_URL, PGPASSWORD, ~/.pgpass), never on a command line,
 * where any user of the machine reads it from the process list.
 */
export function stateUrl(flag?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined) {
    let password: string;
    try {
      password = new URL(flag).password;
    } catch {
      throw new UsageError('--state-url is not a URL: write it like postgres://user@host:5432/dbname');
    }
    if (password)
      throw new UsageError(
        '--state-url holds a password, which other users of this machine can read from the process list: ' +
          'set WAYMARK_STATE_URL instead, or keep the password in PGPASSWORD or ~/.pgpass',
      );
    return flag;
  }
  return env.WAYMARK_STATE_URL?.trim() || undefined;
}

/** Where the run lives: --state-url or WAYMARK_STATE_URL, else the runbook's `state: { url }`; else stateDir. */
export function stateUrlOf(given: string | undefined, rb: Pick<Runbook, 'state'>): string | undefined {
  return given || rb.state?.url?.trim() || undefined;
}

export interface RunPaths {
  dir: string;
  name: string;
  state: string;
  audit: string;
  lock: string;
  reports: string;
  archive: string;
  /** files checks write for the run (every discrepancy of a validation) */
  artifacts: string;
  approvals: string;
}

export function runPaths(dir: string, runbookId: string, fingerprint: string): RunPaths {
  const name = `${runbookId}-${fingerprint}`;
  return {
    dir,
    name,
    state: join(dir, 'runs', `${name}.json`),
    audit: join(dir, 'runs', `${name}.audit.jsonl`),
    lock: join(dir, 'runs', `${name}.lock`),
    reports: join(dir, 'reports', name),
    archive: join(dir, 'runs', 'archive'),
    artifacts: join(dir, 'runs', `${name}.files`),
    /** approvals dropped by other operators (approvals.ts), taken in by the writing session */
    approvals: join(dir, 'runs', `${name}.approvals`),
  };
}

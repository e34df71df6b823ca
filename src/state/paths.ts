import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** --state-dir, else WAYMARK_STATE_DIR, else $XDG_STATE_HOME/waymark (~/.local/state/waymark). */
export function stateDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.WAYMARK_STATE_DIR) return resolve(env.WAYMARK_STATE_DIR);
  return join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'waymark');
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

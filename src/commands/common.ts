import type { LoadedRunbook } from '../runbook/loader.js';
import { loadRunbookFile } from '../runbook/runbook-cache.js';
import { sessionOptions } from './session-options.js';
import type { ParsedArgs } from './args.js';
import { fingerprintOf, type Session } from '../phases/session.js';
import { runPaths } from '../state/paths.js';

export { sessionOptions };

export function load(a: ParsedArgs, positional = false): Promise<LoadedRunbook> {
  const file = (a.flags.runbook as string | undefined) ?? (positional ? a.positional[0] : undefined) ?? 'runbook.yaml';
  return loadRunbookFile(file);
}

/** The files of the run this command works on. */
export function runPathsFor(a: ParsedArgs, lr: LoadedRunbook) {
  const o = sessionOptions(a);
  return runPaths(o.stateDir, lr.runbook.id, o.fingerprint ?? fingerprintOf(lr));
}

export async function openSession(
  a: ParsedArgs,
  readOnly = false,
  lr?: LoadedRunbook,
  extra: { noProbes?: boolean } = {},
): Promise<Session> {
  const { Session } = await import('../phases/session.js');
  return new Session(lr ?? (await load(a)), { ...sessionOptions(a, readOnly), ...extra });
}

export function out(s = ''): void {
  process.stdout.write(s + '\n');
}

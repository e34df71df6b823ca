// `waymark state export|import`: moves a run between the state folder and a state database
// with its whole history (state/run-transfer.ts).
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, out, runPathsFor, sessionOptions } from './common.js';
import { stateDatabaseOf } from '../state/run-store.js';
import { describeStateUrl } from '../state/pg-store.js';
import { moveToDatabase, moveToFolder } from '../state/run-transfer.js';

export async function stateCommand(a: ParsedArgs): Promise<number> {
  const verb = a.positional[0];
  if (verb !== 'export' && verb !== 'import')
    throw new UsageError('say what to do: waymark state export (database → folder) or waymark state import');
  const lr = await load(a);
  const opts = sessionOptions(a);
  const url = stateDatabaseOf(lr.runbook, opts);
  if (!url)
    throw new UsageError('name the state database: --state-url URL, WAYMARK_STATE_URL, or state.url in the runbook');
  const paths = runPathsFor(a, lr);
  if (verb === 'import') {
    out(moveToDatabase(url, paths, opts.operator, lr.runbook.title));
    return 0;
  }
  const moved = moveToFolder(url, paths, opts.operator);
  if (!moved) throw new UsageError(`there is no run of "${lr.runbook.title}" in ${describeStateUrl(url)}`);
  out(moved);
  return 0;
}

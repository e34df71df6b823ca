// waymark reset: the run archived (nothing deleted); the next start begins a new one.
import type { ParsedArgs } from './args.js';
import { thisProcess } from '../state/host.js';
import { load, sessionOptions, runPathsFor, sharedUrlFor, out } from './common.js';
import { StateStore } from '../state/store.js';
import { acquireLock } from '../state/lock.js';

export async function resetCommand(a: ParsedArgs): Promise<number> {
  const lr = await load(a);
  const opts = sessionOptions(a);
  const paths = runPathsFor(a, lr);
  const url = sharedUrlFor(a, lr);
  if (url) {
    const { HeldRun, describeStateUrl } = await import('../state/pg-store.js');
    const held = HeldRun.open(url, paths.name, thisProcess(opts.operator));
    try {
      if (held.checkout.state === undefined) out('there was no run to archive');
      else {
        held.archive();
        out(`archived the run in ${describeStateUrl(url)} (its events stay); the next start begins a new run`);
      }
    } finally {
      held.close();
    }
    return 0;
  }
  const lock = acquireLock(paths.lock, opts.operator);
  try {
    const archived = new StateStore(paths.state).archive(paths.archive, [paths.audit]);
    out(archived ? `archived the run to ${archived}; the next start begins a new run` : 'there was no run to archive');
  } finally {
    lock.release();
  }
  return 0;
}

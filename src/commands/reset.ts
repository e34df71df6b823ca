// waymark reset: the run archived (nothing deleted); the next start begins a new one.
import type { ParsedArgs } from './args.js';
import { load, sessionOptions, out } from './common.js';
import { fingerprintOf } from '../phases/session.js';
import { openRunStore } from '../state/run-store.js';

export async function resetCommand(a: ParsedArgs): Promise<number> {
  const lr = await load(a);
  const opts = sessionOptions(a);
  const store = openRunStore(lr.runbook, opts.fingerprint ?? fingerprintOf(lr), opts);
  try {
    store.hold(opts.operator);
    const archived = store.archive();
    out(archived ? `${archived}; the next start begins a new run` : 'there was no run to archive');
  } finally {
    store.release();
  }
  return 0;
}

// waymark watch: the run in the TUI, read-only, followed live as another session walks it. It takes
// not the run's lock, writes nothing to its state, starts no probes of its own; A approves.
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { load, sessionOptions } from './common.js';

export async function watchCommand(a: ParsedArgs): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY)
    throw new UsageError(
      'waymark watch is a terminal view: without one, `waymark serve` (a browser) or `waymark status`',
    );
  const lr = await load(a);
  const { runTui } = await import('../screens/run-tui.js');
  return runTui(lr, { ...sessionOptions(a, true), follow: true, noProbes: true });
}

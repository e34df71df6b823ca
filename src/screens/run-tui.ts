import type { ParsedArgs } from '../cli.js';
import type { LoadedRunbook } from '../runbook/loader.js';
import { runPlain } from '../commands/run.js';
// Until the TUI lands (issue 5), a terminal gets the plain mode.
export async function runTui(lr: LoadedRunbook, a: ParsedArgs): Promise<number> {
  return runPlain(a, lr);
}

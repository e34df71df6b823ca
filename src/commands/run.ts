import type { ParsedArgs } from './args.js';
import type { LoadedRunbook } from '../load/loader.js';
import { chooseMode } from './interactive.js';
import { sessionOptions } from './session-options.js';

// Only what the chosen path needs is imported: the TUI draws before zod, yaml and
// the engine are loaded.
export async function runCommand(a: ParsedArgs): Promise<number> {
  const mode = chooseMode(a.flags);
  if (mode.interactive) {
    const { runTui } = await import('../screens/run-tui.js');
    const load = async () => (await import('./common.js')).load(a);
    try {
      return await runTui(load, sessionOptions(a));
    } catch (e) {
      if ((e as Error).name !== 'NoRunError') throw e;
      // the state database has no run of this runbook: the operator decides, never a default
      if (
        !(await ask(`${(e as Error).message.replace(/; to start one there.*$/, '')}.\nStart a new run there? [y/N] `))
      )
        return 2;
      return runTui(load, { ...sessionOptions(a), newRun: true });
    }
  }
  if (mode.notice) process.stderr.write(mode.notice + '\n');
  return runPlain(a);
}

export async function runPlain(a: ParsedArgs, given?: LoadedRunbook): Promise<number> {
  const { load, openSession, out } = await import('./common.js');
  const lr = given ?? (await load(a));
  const session = await openSession(a, false, lr);
  try {
    for (const w of await session.lockTargets()) out(`notice: ${w}`);
  } catch (e) {
    await session.close();
    throw e;
  }
  const { runNonInteractive, EXIT } = await import('../phases/noninteractive.js');
  const { stopReason } = await import('../phases/stop-reason.js');
  const ac = new AbortController();
  let interrupted = false;
  const onSig = (sig: NodeJS.Signals) => {
    interrupted = true;
    out(`interrupted (${sig}): stopping the running step (its process tree is killed); the state stays consistent`);
    ac.abort();
    session.cancel(undefined, stopReason(sig));
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  process.on('SIGHUP', onSig);
  try {
    const code = await runNonInteractive(session, {
      phase: a.flags.phase as string | undefined,
      yes: !!a.flags.yes,
      confirmStopped: a.flags['confirm-stopped'] as string | undefined,
      inputs: { vars: a.vars ?? {}, env: process.env },
      out,
      signal: ac.signal,
    });
    return interrupted ? EXIT.interrupted : code;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    process.off('SIGHUP', onSig);
    await session.close();
  }
}

/** One question on the terminal, before the screens are drawn: y or Y is yes, anything else no. */
async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

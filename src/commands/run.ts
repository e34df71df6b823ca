import type { ParsedArgs } from '../cli.js';
import { load, openSession, out } from './common.js';
import { EXIT } from '../phases/noninteractive.js';

export async function runCommand(a: ParsedArgs): Promise<number> {
  const interactive = !a.flags['non-interactive'] && process.stdout.isTTY && process.stdin.isTTY;
  const lr = load(a);
  if (interactive) {
    const { runTui } = await import('../screens/run-tui.js');
    return runTui(lr, a);
  }
  return runPlain(a, lr);
}

export async function runPlain(a: ParsedArgs, lr = load(a)): Promise<number> {
  const session = await openSession(a, false, lr);
  const { runNonInteractive } = await import('../phases/noninteractive.js');
  const ac = new AbortController();
  let interrupted = false;
  const onSig = () => {
    interrupted = true;
    out('interrupted: stopping the running step (its process tree is killed); the state stays consistent');
    ac.abort();
    session.cancel();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    const code = await runNonInteractive(session, { phase: a.flags.phase as string | undefined, yes: !!a.flags.yes, out, signal: ac.signal });
    return interrupted ? EXIT.interrupted : code;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    await session.close();
  }
}

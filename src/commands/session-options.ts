// The session's options from the command line: light to import (no loader, no yaml, no zod),
// so the TUI's first frame does not wait for them.
import { stateDir, stateUrl } from '../state/paths.js';
import { operatorName } from '../state/operator.js';
import type { ParsedArgs } from './args.js';
import type { SessionOptions } from '../phases/session.js';

export function sessionOptions(a: ParsedArgs, readOnly = false): SessionOptions {
  return {
    stateDir: stateDir(a.flags['state-dir'] as string | undefined),
    operator: operatorName(a.flags.operator as string | undefined),
    signingKey: a.flags.key as string | undefined,
    readOnly,
    stateUrl: stateUrl(a.flags['state-url'] as string | undefined),
    // set by `waymark demo`, never from the command line
    fingerprint: a.fingerprint,
    newRun: !!a.flags['new-run'],
    allowedSigners: a.flags['allowed-signers'] as string | undefined,
  };
}

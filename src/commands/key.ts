// waymark key: the operator's line for an allowed_signers file.
import type { ParsedArgs } from './args.js';
import { out, sessionOptions } from './common.js';

export async function keyCommand(a: ParsedArgs): Promise<number> {
  const o = sessionOptions(a);
  const { operatorKey, allowedSignersLine } = await import('../state/ssh-keys.js');
  const key = operatorKey(o.stateDir, o.operator, o.signingKey);
  out(allowedSignersLine(o.operator, key));
  process.stderr.write(
    `the signing key of ${o.operator}: ${key.source} (${key.fingerprint}); add the line above to an ` +
      `allowed_signers file\n`,
  );
  return 0;
}

// waymark verify: is a report file intact, and signed by a key the trust file lists?
import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { allowedSignersFile, out, readFileOrSay } from './common.js';

export async function verifyCommand(a: ParsedArgs): Promise<number> {
  const file = a.positional[0];
  if (!file) throw new UsageError('name the report file: waymark verify REPORT_FILE [--allowed-signers FILE]');
  const { verifyReportText, VERIFY_EXIT } = await import('../report/verify.js');
  const text = readFileOrSay(file, 'the report');
  const trustFile = await allowedSignersFile(a);
  const v = verifyReportText(
    text,
    trustFile ? readFileOrSay(trustFile, 'the allowed signers file') : undefined,
    trustFile,
  );
  const title = v.body ? `"${v.body.title}" (${v.format})` : file;
  for (const n of v.notes ?? []) out(`note: ${n}`);
  if (!v.intact) {
    out(`ALTERED or invalid: ${file}`);
    for (const p of v.problems) out(`  - ${p}`);
    return VERIFY_EXIT.failed;
  }
  const who = `signed by ${v.signer!.operator} with key ${v.signer!.keyFingerprint}`;
  const signoffLines = () => {
    for (const x of v.signoffs ?? [])
      out(
        x.why && x.trust !== 'no-trust-file'
          ? `  ${x.label}: NOT TRUSTED — ${x.why}`
          : `  ${x.label}: key ${x.keyFingerprint}${x.trust === 'trusted' ? ', trusted' : ', signature valid'}`,
      );
  };
  const badSignoffs = (v.signoffs ?? []).filter((x) => x.trust === 'untrusted');
  if (v.trust === 'trusted') {
    out(`intact and TRUSTED: ${title}, ${who}, listed for "${v.signer!.identity}" in ${trustFile}`);
    signoffLines();
    return VERIFY_EXIT.trusted;
  }
  if (v.trust === 'untrusted' && badSignoffs.length && v.signerTrust === 'trusted') {
    out(
      `intact, but NOT TRUSTED: ${title}, ${who} (trusted), shows ${badSignoffs.length} sign-off(s) or ` +
        `approval(s) that ${trustFile ?? 'nothing'} does not vouch for:`,
    );
    signoffLines();
    return VERIFY_EXIT.failed;
  }
  if (v.trust === 'untrusted') {
    const belongs = v.keyBelongsTo?.length
      ? ` (${trustFile} lists that key for ${v.keyBelongsTo.join(', ')}, not "${v.signer!.identity}")`
      : trustFile
        ? ` (that key is not in ${trustFile})`
        : '';
    out(`signature valid, ${trustFile ? 'signer ' : ''}NOT TRUSTED: ${title}, ${who}${belongs}`);
    for (const p of v.problems) out(`  - ${p}`);
    signoffLines();
    return VERIFY_EXIT.failed;
  }
  out(`signature valid, but NO TRUST FILE: ${title}, ${who}`);
  out('  anyone could have produced this report with a key of their own: give --allowed-signers FILE (or keep');
  out('  .waymark/allowed_signers beside the runbook) listing the keys you trust (waymark key prints a line)');
  signoffLines();
  return VERIFY_EXIT.noTrustFile;
}

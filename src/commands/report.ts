import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { existsSync } from 'node:fs';
import { allowedSignersFile, load, openSession, out, readFileOrSay, sessionOptions } from './common.js';
import { phaseState } from '../phases/rules.js';

export async function reportCommand(a: ParsedArgs): Promise<number> {
  const format = (a.flags.format as string | undefined) ?? 'html';
  if (!['md', 'html', 'json'].includes(format))
    throw new UsageError(`--format must be md, html or json, not "${format}"`);
  if (a.flags.phase && a.flags.all) throw new UsageError('give --phase ID or --all, not both');
  const lr = await load(a);
  const named = a.flags['allowed-signers'] as string | undefined;
  if (named && !existsSync(named)) throw new UsageError(`cannot read the allowed signers file ${named}: no such file`);
  const phaseId = a.flags.phase as string | undefined;
  if (phaseId && !lr.runbook.phases.some((p) => p.id === phaseId))
    throw new UsageError(`unknown phase "${phaseId}"; phases: ${lr.runbook.phases.map((p) => p.id).join(', ')}`);
  let session;
  let note = '';
  try {
    // writing a report is not watching the system: no probes (a demo whose app is stopped would
    // otherwise record an "outage" in the very record the report is made from)
    session = await openSession(a, false, lr, { noProbes: true });
  } catch (e) {
    if ((e as Error).name !== 'LockError') throw e;
    session = await openSession(a, true, lr, { noProbes: true });
    note =
      " (the run is open in another session, so this report's digest is not recorded in the audit log; write " +
      'it from there with g)';
  }
  try {
    if (phaseId && phaseState(session.state, phaseId).status !== 'signed-off') {
      out(
        `"${lr.runbook.phases.find((p) => p.id === phaseId)!.title}" is not signed off yet: a phase report is ` +
          `written after sign-off.`,
      );
      return 1;
    }
    const { writeReport } = await import('../report/write.js');
    const r = await writeReport(
      session,
      phaseId ? { phase: phaseId } : { all: true },
      format as 'md' | 'html' | 'json',
      a.flags.out as string | undefined,
      a.flags['allowed-signers'] as string | undefined,
    );
    out(r.file);
    process.stderr.write(`signed report written; digest sha256:${r.digest}${note}\n`);
    if (r.untrusted.length) {
      process.stderr.write(
        `the report is marked UNTRUSTED SIGN-OFF: the run's record holds ${r.untrusted.length} sign-off(s) or ` +
          `approval(s) that ${r.trustFile ?? 'no trust file'} does not vouch for; nobody should rely on it until ` +
          'that is explained (waymark audit --verify shows the record):\n' +
          r.untrusted.map((u) => `  - ${u}\n`).join(''),
      );
      return 1;
    }
    if (!r.trustFile)
      process.stderr.write(
        "note: no trust file (--allowed-signers, the runbook's allowed_signers, .waymark/allowed_signers): the " +
          "keys of the report's sign-offs were not checked; whoever reads it checks them with waymark verify\n",
      );
    return 0;
  } finally {
    await session.close();
  }
}

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

export async function reopenCommand(a: ParsedArgs): Promise<number> {
  const phaseId = a.flags.phase as string | undefined;
  const reason = a.flags.reason as string | undefined;
  if (!phaseId || !reason) throw new UsageError('name the phase and why: waymark reopen --phase ID --reason "…"');
  const session = await openSession(a, false, undefined, { noProbes: true });
  try {
    const r = session.dispatch({ type: 'phase.reopen', phaseId, reason });
    if (!r.ok) {
      out(r.error);
      return 1;
    }
    out(
      `reopened "${session.runbook.phases.find((p) => p.id === phaseId)!.title}": its sign-off is voided ` +
        `(kept in the record); it needs a new sign-off`,
    );
    return 0;
  } finally {
    await session.close();
  }
}

import type { ParsedArgs } from './args.js';
import { UsageError } from '../runbook/errors.js';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { load, openSession, out, sessionOptions } from './common.js';
import { phaseState } from '../phases/rules.js';

export async function reportCommand(a: ParsedArgs): Promise<number> {
  const format = (a.flags.format as string | undefined) ?? 'html';
  if (!['md', 'html', 'json'].includes(format))
    throw new UsageError(`--format must be md, html or json, not "${format}"`);
  if (a.flags.phase && a.flags.all) throw new UsageError('give --phase ID or --all, not both');
  const lr = await load(a);
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
    );
    out(r.file);
    process.stderr.write(`signed report written; digest sha256:${r.digest}${note}\n`);
    return 0;
  } finally {
    await session.close();
  }
}

/** The trust file: --allowed-signers, else the runbook's `allowed_signers`, else .waymark/allowed_signers beside it. */
async function allowedSignersFile(a: ParsedArgs): Promise<string | undefined> {
  const named = a.flags['allowed-signers'] as string | undefined;
  if (named) return named;
  const runbook = resolve((a.flags.runbook as string | undefined) ?? 'runbook.yaml');
  try {
    const lr = await load(a);
    if (lr.runbook.allowed_signers) return resolve(lr.dir, lr.runbook.allowed_signers);
  } catch {
    /* no runbook here, or one that does not load: the file beside it is still looked for */
  }
  const beside = join(dirname(runbook), '.waymark', 'allowed_signers');
  return existsSync(beside) ? beside : undefined;
}

export async function verifyCommand(a: ParsedArgs): Promise<number> {
  const file = a.positional[0];
  if (!file) throw new UsageError('name the report file: waymark verify REPORT_FILE [--allowed-signers FILE]');
  const { verifyReportText, VERIFY_EXIT } = await import('../report/verify.js');
  const read = (f: string, what: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(
        `cannot read ${what} ${f}: ` +
          `${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : 'not readable'}`,
      );
    }
  };
  const text = read(file, 'the report');
  const trustFile = await allowedSignersFile(a);
  const v = verifyReportText(text, trustFile ? read(trustFile, 'the allowed signers file') : undefined);
  const title = v.body ? `"${v.body.title}" (${v.format})` : file;
  for (const n of v.notes ?? []) out(`note: ${n}`);
  if (!v.intact) {
    out(`ALTERED or invalid: ${file}`);
    for (const p of v.problems) out(`  - ${p}`);
    return VERIFY_EXIT.failed;
  }
  const who = `signed by ${v.signer!.operator} with key ${v.signer!.keyFingerprint}`;
  if (v.trust === 'trusted') {
    out(`intact and TRUSTED: ${title}, ${who}, listed for "${v.signer!.identity}" in ${trustFile}`);
    return VERIFY_EXIT.trusted;
  }
  if (v.trust === 'untrusted') {
    const belongs = v.keyBelongsTo?.length
      ? ` (${trustFile} lists that key for ${v.keyBelongsTo.join(', ')}, not "${v.signer!.identity}")`
      : ` (that key is not in ${trustFile})`;
    out(`signature valid, signer NOT TRUSTED: ${title}, ${who}${belongs}`);
    for (const p of v.problems) out(`  - ${p}`);
    return VERIFY_EXIT.failed;
  }
  out(`signature valid, but NO TRUST FILE: ${title}, ${who}`);
  out('  anyone could have produced this report with a key of their own: give --allowed-signers FILE (or keep');
  out('  .waymark/allowed_signers beside the runbook) listing the keys you trust (waymark key prints a line)');
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

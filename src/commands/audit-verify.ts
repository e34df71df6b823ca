// `waymark audit --verify`: the hash chain, every sign-off and approval checked against the
// keys the team trusts, and the chain heads a witness outside the run holds. Each answers a
// different attacker: the chain a careless edit, the trust file a forger with a key of their
// own, the witness the holder of a trusted key who rewrites their own history.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ParsedArgs } from './args.js';
import type { LoadedRunbook } from '../load/loader.js';
import { UsageError } from '../runbook/errors.js';
import { allowedSignersFile, out, readFileOrSay, type RunFiles } from './common.js';
import { readAudit, readLines, verifyAudit, type AuditEntry } from '../state/audit.js';
import { StateStore } from '../state/store.js';
import { changesState, replay } from '../phases/replay.js';
import { checkSignoffSignatures } from '../state/signoff-signature.js';
import { checkApprovalSignatures } from '../state/approvals.js';
import { checkProof, readTrustFile, whyNotTrusted, type Proof, type TrustFile } from '../state/trust.js';
import { checkWitness, forkLine, readWitness } from '../state/witness.js';

type Files = RunFiles;

interface SignedLine {
  line: string;
  bad: boolean;
}

/** A signature's verdict: broken (its own problem), untrusted (the trust file's word), or good. */
function judge(proof: Proof, problem: string | undefined, trust: TrustFile | undefined) {
  const c = checkProof(proof, trust);
  const why = problem ?? whyNotTrusted(c, trust?.file);
  const bad = Boolean(problem) || c.trust === 'untrusted';
  const trusted = c.trust === 'trusted' ? `; TRUSTED for "${proof.by}"` : '';
  return { bad, why, trust: c.trust, trusted, json: { trust: c.trust, why: bad ? why : undefined } };
}

/** Each sign-off and approval of the log: its signature, the head it signed, and whether its key is trusted. */
function signatureLines(entries: AuditEntry[], lines: string[], trust: TrustFile | undefined) {
  const result: Array<SignedLine & { json: Record<string, unknown> }> = [];
  const dataOf = (seq: number) => entries.find((e) => e.seq === seq)!.data;
  for (const s of checkSignoffSignatures(entries, lines)) {
    const d = dataOf(s.seq) as { message: string; armored: string };
    const by = s.signer ?? '?';
    const j = judge(
      { kind: 'sign-off', phaseId: s.phaseId, by, message: d.message, armored: d.armored },
      s.problem,
      trust,
    );
    const who = `signed by ${by} (${s.keyFingerprint ?? 'no key'})`;
    const line = s.problem
      ? `  sign-off of ${s.phaseId} (line ${s.seq}) BROKEN: ${s.problem}`
      : j.bad
        ? `  sign-off of ${s.phaseId} (line ${s.seq}) ${who}: NOT TRUSTED: ${j.why}`
        : `  sign-off of ${s.phaseId} ${who}: verified against this log${j.trusted}`;
    result.push({ bad: j.bad, line, json: { ...s, publicKey: undefined, ...j.json } });
  }
  for (const x of checkApprovalSignatures(entries)) {
    const d = dataOf(x.seq) as { approval: { message: string; armored: string } };
    const j = judge({ kind: 'approval', phaseId: x.phaseId, by: x.by, ...d.approval }, x.problem, trust);
    const head = `  approval of ${x.phaseId} by ${x.by}`;
    const line = x.problem
      ? `${head} (line ${x.seq}) BROKEN: ${x.problem}`
      : j.bad
        ? `${head} (line ${x.seq}, ${x.keyFingerprint}): NOT TRUSTED: ${j.why}`
        : `${head} (${x.keyFingerprint}): signature valid${j.trusted}`;
    result.push({ bad: j.bad, line, json: { ...x, publicKey: undefined, ...j.json } });
  }
  return result;
}

/** Sign-offs the log records with no signature at all: nothing proves who made them. */
function unsignedSignoffs(lr: LoadedRunbook, entries: AuditEntry[], lines: string[]): string[] {
  let state;
  try {
    state = replay(lr.runbook, undefined, entries, lines);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const [phaseId, ps] of Object.entries(state?.phases ?? {}))
    for (const h of ps.history ?? [])
      if (h.kind === 'signed-off' && !h.signature)
        out.push(
          `sign-off of ${phaseId} by ${h.by} at ${h.at}: NOT SIGNED, nothing proves who made it ` +
            `(${h.by} opening the run signs it; or reopen the phase and sign it off again)`,
        );
  return out;
}

/** A run in a database: other copies of its log in the state folder must agree with it, line for line. */
function localCopies(files: Files, dbLines: string[]): SignedLine[] {
  const folder = files.database!.folder;
  const dir = join(folder.dir, 'runs');
  const runLine = dbLines[0];
  if (!runLine || !existsSync(dir)) return [];
  const runId = ((JSON.parse(runLine) as AuditEntry).data as { runId?: string } | undefined)?.runId;
  const result: SignedLine[] = [];
  const names = (d: string) =>
    existsSync(d)
      ? readdirSync(d)
          .filter((n) => n.startsWith(`${folder.name}.audit.jsonl`))
          .map((n) => join(d, n))
      : [];
  // the live copy, and those set aside by state import / export (runs/archive)
  for (const file of [...names(dir), ...names(join(dir, 'archive'))]) {
    const { lines } = readLines(file);
    let first: AuditEntry | undefined;
    try {
      first = lines[0] ? (JSON.parse(lines[0]) as AuditEntry) : undefined;
    } catch {
      /* a damaged copy is not this run's */
    }
    if ((first?.data as { runId?: string } | undefined)?.runId !== runId) continue;
    const fork = forkLine(lines, dbLines);
    if (fork !== undefined)
      result.push({ bad: true, line: `  local copy ${file} FORKS from the database at line ${fork}` });
    else if (lines.length > dbLines.length)
      result.push({
        bad: true,
        line: `  local copy ${file} has ${lines.length - dbLines.length} line(s) the database does not`,
      });
    else result.push({ bad: false, line: `  local copy ${file} agrees with the database (its ${lines.length} lines)` });
  }
  return result;
}

export async function verifyAuditCommand(a: ParsedArgs, lr: LoadedRunbook, paths: Files): Promise<number> {
  // the state names the last line it includes: a log cut or rewritten after it shows
  let head: { seq: number; hash: string } | undefined;
  try {
    head = new StateStore(paths.state).load()?.audit;
  } catch {
    /* a damaged state: the chain is still checked */
  }
  const v = verifyAudit(paths.audit, head);
  const { lines } = readLines(paths.audit);
  const entries = readAudit(paths.audit);
  const trustFile = await allowedSignersFile(a);
  if (trustFile) readFileOrSay(trustFile, 'the allowed signers file');
  const trust = trustFile ? readTrustFile(trustFile) : undefined;
  const signed = signatureLines(entries, lines, trust);
  const unsigned = unsignedSignoffs(lr, entries, lines);
  const witnessFile = a.flags.witness as string | undefined;
  const witness = witnessFile ? witnessOf(witnessFile, entries) : undefined;
  const w = witness ? checkWitness(lines, witness.heads) : undefined;
  const copies = paths.database ? localCopies(paths, lines) : [];
  const appendOnlyOff = paths.database && !paths.database.appendOnly;

  const broken = !v.ok || signed.some((s) => s.bad) || unsigned.length > 0 || Boolean(w?.rewritten.length);
  const bad = broken || copies.some((c) => c.bad) || Boolean(appendOnlyOff);
  const noTrust = !trust && (signed.length > 0 || unsigned.length > 0);
  const code = bad ? 1 : noTrust ? 3 : 0;
  const { after, ...result } = v;
  // entries after the state's head that change state: a crash between the two writes
  const behind = (after ?? []).filter(changesState).length;
  if (a.flags.json) {
    out(
      JSON.stringify({
        file: paths.label,
        ...result,
        behind,
        // ok: nothing is broken, untrusted or rewritten; without a trust file nothing says who signed
        ok: !bad,
        noTrustFile: noTrust || undefined,
        trustFile: trustFile ?? null,
        signatures: signed.map((s) => s.json),
        unsigned,
        witness: w
          ? { file: witnessFile, held: w.held.length, rewritten: w.rewritten, agreesUpTo: w.agreesUpTo }
          : undefined,
        appendOnly: paths.database ? paths.database.appendOnly : undefined,
      }),
    );
    return code;
  }
  if (!v.ok) out(`audit log BROKEN at line ${v.badLine}: ${v.problem} (${paths.label})`);
  else
    out(
      `audit log intact: ${v.entries} entries, hash chain ` +
        `verified${head ? ', and it holds every event the state includes' : ''} (${paths.label})`,
    );
  if (behind)
    out(`  ${behind} event(s) after the state's last: a crash between the two writes; the next start replays them`);
  for (const s of signed) out(s.line);
  for (const u of unsigned) out(`  ${u}`);
  if (paths.database)
    out(
      paths.database.appendOnly
        ? '  the database refuses to change or delete these events (its append-only trigger is in force): it is ' +
            "the run's own witness"
        : '  the append-only trigger on waymark.events is MISSING or disabled: someone with rights on the database ' +
            'could have changed these events',
    );
  for (const c of copies) out(c.line);
  if (w) sayWitness(w, witnessFile!, witness!.otherRuns);
  if (noTrust && !bad)
    out(
      'NO TRUST FILE: the chain is whole, but nothing here proves who signed: anyone can make a key and sign under ' +
        'any name. Give --allowed-signers FILE (or keep .waymark/allowed_signers beside the runbook)',
    );
  else if (trust && signed.length && !signed.some((s) => s.bad) && !unsigned.length)
    out(`every sign-off and approval is by a key ${trustFile} lists for its name`);
  return code;
}

/** The chain heads a witness holds of this run; a file with none of them is a usage error. */
function witnessOf(witnessFile: string, entries: AuditEntry[]) {
  const runId = ((entries[0]?.data ?? {}) as { runId?: string }).runId ?? '';
  const witness = readWitness(readFileOrSay(witnessFile, 'the witness file'), witnessFile, runId);
  if (!witness.heads.length)
    throw new UsageError(
      `no chain heads of this run in ${witnessFile}` +
        `${witness.otherRuns ? ` (${witness.otherRuns} of other runs)` : ''}: ` +
        'give the JSON lines a webhook receiver kept, a copy of the audit log, or lines with "audit head N sha256:…"',
    );
  return witness;
}

function sayWitness(w: ReturnType<typeof checkWitness>, file: string, otherRuns: number): void {
  const others = otherRuns ? ` (${otherRuns} of other runs left out)` : '';
  if (!w.rewritten.length) {
    out(`  witness ${file}: the log holds all ${w.held.length} chain head(s) it keeps${others}`);
    return;
  }
  const first = w.rewritten[0];
  out(
    `REWRITTEN: the witness ${first.head.source} holds line ${first.head.seq} as sha256:${first.head.hash}; ` +
      `${first.problem}.`,
  );
  out(
    (w.agreesUpTo
      ? `  the history forks after line ${w.agreesUpTo} and at or before line ${first.head.seq} (line ` +
        `${w.agreesUpTo} is the last witnessed line the log still holds)`
      : `  the history forks at or before line ${first.head.seq} (no earlier witnessed line to narrow it)`) +
      `; ${w.rewritten.length} of ${w.rewritten.length + w.held.length} witnessed head(s) differ${others}`,
  );
}

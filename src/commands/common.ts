import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../runbook/errors.js';
import type { LoadedRunbook } from '../load/loader.js';
import { loadRunbookFile } from '../load/runbook-cache.js';
import { sessionOptions } from './session-options.js';
import type { ParsedArgs } from './args.js';
import { fingerprintOf, type Session } from '../phases/session.js';
import { runPaths, type RunPaths } from '../state/paths.js';
import { openRunStore, type RunStore } from '../state/run-store.js';
import { findTrustFile } from '../state/trust.js';
import { resolve } from 'node:path';

export { sessionOptions };

/** The runbook of the folder when none is named: runbook.yaml, else runbook.md. */
export function defaultRunbook(): string {
  return !existsSync('runbook.yaml') && existsSync('runbook.md') ? 'runbook.md' : 'runbook.yaml';
}

/** The runbook file a command writes (--out, else runbook.md): a .md or .yaml name, and never one that exists. */
export function newRunbookFile(a: ParsedArgs): string {
  const target = (a.flags.out as string | undefined) ?? 'runbook.md';
  if (!/\.(md|markdown|ya?ml)$/i.test(target)) throw new UsageError(`--out ${target}: name a .md or a .yaml file`);
  if (existsSync(target)) throw new UsageError(`${target} exists: it is never overwritten; give --out ANOTHER_FILE`);
  return target;
}

export function load(a: ParsedArgs, positional = false): Promise<LoadedRunbook> {
  const file =
    (a.flags.runbook as string | undefined) ?? (positional ? a.positional[0] : undefined) ?? defaultRunbook();
  const environment = (a.flags.env as string | undefined) ?? (process.env.WAYMARK_ENV?.trim() || undefined);
  return loadRunbookFile(file, { environment });
}

/** The files of the run this command works on. */
export function runPathsFor(a: ParsedArgs, lr: LoadedRunbook) {
  const o = sessionOptions(a);
  return runPaths(o.stateDir, lr.runbook.id, o.fingerprint ?? fingerprintOf(lr));
}

/**
 * The run's files to read: in a state database, a private copy of them as they are there now
 * (the lines byte for byte, so the chain is checked on exactly what the database holds).
 */
export function runFilesFor(a: ParsedArgs, lr: LoadedRunbook): RunFiles {
  const o = sessionOptions(a, true);
  const store = openRunStore(lr.runbook, o.fingerprint ?? fingerprintOf(lr), o);
  return { ...store.paths, where: store.where, label: store.label, database: store.database };
}

export type RunFiles = RunPaths & Pick<RunStore, 'where' | 'label' | 'database'>;

/** The trust file: --allowed-signers, else the runbook's `allowed_signers`, else .waymark/allowed_signers beside it. */
export async function allowedSignersFile(a: ParsedArgs): Promise<string | undefined> {
  const named = a.flags['allowed-signers'] as string | undefined;
  const runbook = resolve((a.flags.runbook as string | undefined) ?? defaultRunbook());
  let rb;
  try {
    rb = (await load(a)).runbook;
  } catch {
    /* no runbook here, or one that does not load: the file beside it is still looked for */
  }
  return findTrustFile(named, runbook, rb);
}

export async function openSession(
  a: ParsedArgs,
  readOnly = false,
  lr?: LoadedRunbook,
  extra: { noProbes?: boolean } = {},
): Promise<Session> {
  const { Session } = await import('../phases/session.js');
  return new Session(lr ?? (await load(a)), { ...sessionOptions(a, readOnly), ...extra });
}

export function out(s = ''): void {
  process.stdout.write(s + '\n');
}

/** A file the operator named, read; one that cannot be read is a sentence saying which and why (exit 2). */
export function readFileOrSay(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : 'not readable';
    throw new UsageError(`cannot read ${what} ${file}: ${why}`);
  }
}

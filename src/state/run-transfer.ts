// Moving a run between the state folder and a state database with its whole history: every
// line of the audit log byte for byte, so its hash chain and the signatures that name the chain's
// head still verify. The run is checked before it moves, the source is held while it moves
// (nobody writes it meanwhile), and only a copy that landed whole sets the source aside
// (archived, never deleted): one run never lives in two places.
import { existsSync, unlinkSync } from 'node:fs';
import { UsageError } from '../runbook/errors.js';
import { readLines, verifyAudit } from './audit.js';
import { writeWhole } from './durable.js';
import { thisProcess } from './host.js';
import { acquireLock } from './lock.js';
import type { RunPaths } from './paths.js';
import { describeStateUrl, HeldRun, importRun } from './pg-store.js';
import type { RunState } from './run-state.js';
import { StateStore } from './store.js';

/** Why a run's state and log cannot move as they are, or undefined. */
function problemOf(state: RunState, lines: string[], verify: ReturnType<typeof verifyAudit>): string | undefined {
  if (!verify.ok) return `its audit log does not verify at line ${verify.badLine}: ${verify.problem}`;
  if (!state.audit || state.audit.seq !== lines.length)
    return 'its state does not include the last line of its log (open it once, so it catches up, then move it)';
  return undefined;
}

/**
 * Moves the run from the database into the folder: written and verified there first, and only
 * then set aside in the database (its events stay). Returns what was done; undefined: the database has no such run.
 */
export function moveToFolder(url: string, paths: RunPaths, operator: string): string | undefined {
  if (existsSync(paths.state) || existsSync(paths.audit))
    throw new UsageError(`a run of this runbook is already in ${paths.dir}: move it away first (waymark reset)`);
  const where = describeStateUrl(url);
  const lock = acquireLock(paths.lock, operator);
  const held = HeldRun.open(url, paths.name, thisProcess(operator));
  try {
    const co = held.checkout;
    if (co.state === undefined) return undefined;
    writeWhole(paths.audit, co.lines.map((l) => l + '\n').join(''));
    const state = JSON.parse(co.state) as RunState;
    const bad = problemOf(state, co.lines, verifyAudit(paths.audit, state.audit));
    if (bad) {
      unlinkSync(paths.audit); // the database keeps the run as it is
      throw new UsageError(`the run in ${where} was not moved: ${bad}`);
    }
    new StateStore(paths.state).save(state);
    held.archive();
    return (
      `moved run ${state.runId.slice(0, 8)} (${co.lines.length} events) from ${where} to ${paths.state}; ` +
      'the database keeps its events, set aside'
    );
  } finally {
    held.close();
    lock.release();
  }
}

/** Moves the run from the folder into the database; returns what was done. */
export function moveToDatabase(url: string, paths: RunPaths, operator: string, title: string): string {
  const where = describeStateUrl(url);
  const lock = acquireLock(paths.lock, operator);
  try {
    const state = new StateStore(paths.state).load();
    if (!state) throw new UsageError(`there is no run of "${title}" in ${paths.dir}`);
    const { lines, torn } = readLines(paths.audit);
    const bad =
      torn !== undefined
        ? 'its audit log ends in a torn line'
        : problemOf(state, lines, verifyAudit(paths.audit, state.audit));
    if (bad) throw new UsageError(`the run in ${paths.dir} was not moved: ${bad}; see waymark audit --verify`);
    try {
      importRun(url, paths.name, state.runId, JSON.stringify(state, null, 2), lines);
    } catch (e) {
      if ((e as { kind?: string }).kind === 'conflict')
        throw new UsageError(`${where} already has a run of this runbook and target: nothing was moved`);
      throw e;
    }
    const archived = new StateStore(paths.state).archive(paths.archive, [paths.audit]);
    return (
      `moved run ${state.runId.slice(0, 8)} (${lines.length} events) from ${paths.dir} to ${where}; ` +
      `the folder's copy is archived in ${archived}`
    );
  } finally {
    lock.release();
  }
}

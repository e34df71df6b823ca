// One state document per (runbook id, target fingerprint), written whole or not at all
// (durable.ts), and read back only when it is a state Waymark can trust. A file that is
// damaged, of a newer Waymark, or not a run's state is never overwritten or mistaken for
// "no run yet": the operator is told what is wrong and how to rebuild it.
import { existsSync, mkdirSync, renameSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../runbook/errors.js';
import { migrateState, STATE_SCHEMA, type RunState } from './run-state.js';
import { writeWhole } from './durable.js';

/** A state file Waymark will not read or write over. Exit 2, with the repair command. */
export class StateFileError extends InputError {
  constructor(file: string, what: string) {
    super(`the state file ${file} ${what}; it was left as it is. Rebuild it from the audit log with: waymark repair`);
    this.name = 'StateFileError';
  }
}

/** What a state document must have before anything reads it: the field that is missing, or undefined. */
function shapeProblem(doc: unknown): string | undefined {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return `holds ${doc === null ? 'null' : Array.isArray(doc) ? 'a list' : typeof doc}, not a run's state`;
  const d = doc as Record<string, unknown>;
  if (typeof d.schema !== 'number') return "has no schema number (is it a run's state?)";
  if (d.schema > STATE_SCHEMA)
    return (
      `was written by a newer Waymark (schema ${d.schema}; this one reads up to ${STATE_SCHEMA}): open ` +
      `it with that version`
    );
  const want: Array<[string, string]> = [
    ['runId', 'string'],
    ['runbookId', 'string'],
    ['createdAt', 'string'],
    ['seq', 'number'],
    ['phases', 'object'],
    ['steps', 'object'],
    ['checks', 'object'],
    ['baselines', 'object'],
    ['target', 'object'],
  ];
  const missing = want.filter(([k, t]) => typeof d[k] !== t || d[k] === null).map(([k]) => k);
  return missing.length
    ? `is damaged: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing or of the wrong kind`
    : undefined;
}

export class StateStore {
  constructor(readonly file: string) {}

  exists(): boolean {
    return existsSync(this.file);
  }

  /** The run's state; undefined only when no state file exists. */
  load(): RunState | undefined {
    if (!this.exists()) return undefined;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (e) {
      throw new StateFileError(this.file, `is not readable JSON (${(e as Error).message})`);
    }
    const bad = shapeProblem(doc);
    if (bad) throw new StateFileError(this.file, bad);
    try {
      // an older run is brought forward in memory; it is written in the new schema at its next change
      return migrateState(doc as RunState);
    } catch (e) {
      throw new StateFileError(this.file, `has ${(e as Error).message}`);
    }
  }

  save(state: RunState): void {
    writeWhole(this.file, JSON.stringify(state, null, 2) + '\n');
  }

  /** Moves the run aside (never deletes it). Returns the archive path. */
  archive(archiveDir: string, extra: string[] = []): string | undefined {
    if (!existsSync(this.file)) return undefined;
    mkdirSync(archiveDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const target = join(archiveDir, `${basename(this.file, '.json')}.${stamp}.json`);
    renameSync(this.file, target);
    for (const f of extra) if (existsSync(f)) renameSync(f, join(archiveDir, `${basename(f)}.${stamp}`));
    return target;
  }
}

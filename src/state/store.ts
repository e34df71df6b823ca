// One state document per (runbook id, target fingerprint), written atomically by
// conf (write to a temp file, then rename), so a kill at any instant leaves either
// the old or the new document, never half of one.
import Conf from 'conf';
import { existsSync, mkdirSync, renameSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { migrateState, type RunState } from '../phases/state.js';

export class StateStore {
  private conf: Conf<Record<string, unknown>>;
  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.conf = new Conf<Record<string, unknown>>({
      cwd: dirname(file),
      configName: basename(file, '.json'),
      projectName: 'waymark',
      clearInvalidConfig: false,
      serialize: (v) => JSON.stringify(v, null, 2) + '\n',
    });
  }

  exists(): boolean {
    return existsSync(this.file) && Object.keys(this.conf.store).length > 0;
  }

  load(): RunState | undefined {
    if (!this.exists()) return undefined;
    const s = this.conf.store as unknown as RunState;
    try {
      // an older run is brought forward in memory; it is written in the new schema at its next change
      return migrateState(s);
    } catch (e) {
      throw new Error(`state file ${this.file} has ${(e as Error).message}`);
    }
  }

  save(state: RunState): void {
    this.conf.store = state as unknown as Record<string, unknown>;
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

export function readStateFile(file: string): RunState {
  return JSON.parse(readFileSync(file, 'utf8')) as RunState;
}

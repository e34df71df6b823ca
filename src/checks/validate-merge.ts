// The merge join of data.validate (validate-run.ts): the JSON side's sorted (key, row hash)
// pairs against the table's rows in key order, each difference told to the side as it is met.
import type { Batch } from './sorted-runs.js';
import type { PgRow } from './validate-pg.js';
import { NEW, NOT_KEPT, ONLY_PG, type Diff } from './validate-kinds.js';

/** What the merge tells its differences to. */
export interface MergeSide {
  report(d: Omit<Diff, 'entity'>): void;
  readonly o: { contains: boolean };
}

/** A sorted stream walked a batch at a time: an await only when a batch is used up. */
class Cursorish<B extends { length: number }> {
  batch: B | undefined;
  at = 0;
  constructor(private readonly source: AsyncIterator<B>) {}
  /** false at the end */
  async ready(): Promise<boolean> {
    while (!this.batch || this.at >= this.batch.length) {
      const r = await this.source.next();
      if (r.done) {
        this.batch = undefined;
        return false;
      }
      this.batch = r.value;
      this.at = 0;
    }
    return true;
  }
}

/** The merge join of the two sorted streams; rows whose hashes differ are named for a closer look. */
export async function merge(side: MergeSide, jsonBatches: AsyncIterator<Batch>, pgBatches: AsyncIterator<PgRow[]>) {
  let pgCount = 0;
  let matched = 0;
  /** lower-cased key → the key as PostgreSQL writes it */
  const mismatched = new Map<string, string>();
  const js = new Cursorish({ next: async () => wrap(await jsonBatches.next()) });
  const ps = new Cursorish(pgBatches);
  let lastJsonKey: string | undefined;
  /** the row the last JSON key met, to tell which copy of a duplicated id PostgreSQL holds */
  let met: { key: string; pgKey: string; hash: string; kept: boolean } | undefined;
  let jOk = await js.ready();
  let pOk = await ps.ready();
  while (jOk || pOk) {
    const jb = js.batch?.b;
    const jKey = jOk ? jb!.keys[js.at] : undefined;
    const p = pOk ? ps.batch![ps.at] : undefined;
    if (jKey !== undefined && jKey === lastJsonKey) {
      // the same key twice in JSON: PostgreSQL holds one row; a copy equal to it is the one kept
      const copy = met?.key === jKey ? jb!.values[js.at] : undefined;
      if (met && copy !== undefined && (met.kept || copy === met.hash)) {
        if (!met.kept) {
          // this copy is the row, exactly: the one met first was not kept
          matched++;
          mismatched.delete(met.pgKey);
          met.kept = true;
        }
        side.report({ kind: NOT_KEPT, key: jKey, field: '(row)', json: 'another copy of this id', pg: 'holds one' });
      } else side.report({ kind: 'duplicate', key: jKey, field: '(row)', json: 'twice or more', pg: null });
      js.at++;
    } else if (!p || (jKey !== undefined && jKey < p.key)) {
      side.report({ kind: 'missing', key: jKey!, field: '(row)', json: 'present', pg: 'missing' });
      lastJsonKey = jKey;
      met = undefined;
      js.at++;
    } else if (jKey === undefined || p.key < jKey) {
      pgCount++;
      if (p.isNew) side.report({ kind: NEW, key: p.key, field: '(row)', json: 'not yet read', pg: 'present' });
      else if (side.o.contains)
        side.report({ kind: ONLY_PG, key: p.key, field: '(row)', json: 'not in the JSON', pg: 'present' });
      else side.report({ kind: 'extra', key: p.key, field: '(row)', json: 'missing', pg: 'present' });
      ps.at++;
    } else {
      pgCount++;
      const same = jb!.values[js.at] === p.hash;
      if (same) matched++;
      else mismatched.set(p.key, p.rawKey);
      met = { key: jKey, pgKey: p.key, hash: p.hash, kept: same };
      lastJsonKey = jKey;
      js.at++;
      ps.at++;
    }
    if (jOk && js.at >= js.batch!.length) jOk = await js.ready();
    if (pOk && ps.at >= ps.batch!.length) pOk = await ps.ready();
  }
  return { pgCount, matched, mismatched };
}

/** a batch of keys and values, with the length a Cursorish asks for */
function wrap(r: IteratorResult<Batch>): IteratorResult<{ b: Batch; length: number }> {
  return r.done
    ? { done: true, value: undefined }
    : { done: false, value: { b: r.value, length: r.value.keys.length } };
}

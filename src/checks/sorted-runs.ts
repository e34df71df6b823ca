// An external sort of (key, value) pairs: the JSON side of a row-level comparison
// arrives in file order, PostgreSQL's in key order. Pairs are sorted in memory up to a
// budget, spilled to temporary files in sorted runs, then merged, so memory stays bounded
// however many records there are.
//
// In memory, keys and values are kept in two arrays and sorted as numbers: each key's first
// 32 bits of order (its first 8 hex digits when every key starts with them, as uuids do; its
// first two characters otherwise) beside its index, in one Float64Array the engine sorts
// natively, then runs of equal prefixes by the whole key. 700k uuids: 0.1 s, where sorting
// the strings took 1 s. Spilled runs hold one line a pair: the key escaped, "\0\0", the value;
// the escape keeps key order (a NUL in a key becomes "\0\x01", so the separator sorts below
// any continuation of a key, and a key that is a prefix of another sorts first, as `<` has it).
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Pair = [key: string, value: string];

const SEP = '\0\0';
const encode = (key: string, value: string) =>
  (key.includes('\0') ? key.replaceAll('\0', '\0\x01') : key) + SEP + value;
function decode(entry: string): Pair {
  const at = entry.indexOf(SEP);
  const key = entry.slice(0, at);
  return [key.includes('\0') ? key.replaceAll('\0\x01', '\0') : key, entry.slice(at + 2)];
}

/**
 * Pairs held in memory by all sorters that share it. When it is full, the sorter holding the
 * most spills: one pass over a file feeds several entities, and a small one should not be
 * written to disk because a large one filled the memory.
 */
export class SortBudget {
  readonly members = new Set<SortedRuns>();
  held = 0;
  constructor(readonly limit: number) {}
  largest(): SortedRuns | undefined {
    let best: SortedRuns | undefined;
    for (const m of this.members) if (!best || m.inMemory > best.inMemory) best = m;
    return best;
  }
}

/** index bits beside a 32-bit prefix in a double: 52 bits, exact */
const INDEX = 2 ** 20;

/** The value of a key's first 8 characters as hex digits (0-9, a-f), or -1 when they are not. */
function hexPrefix(k: string): number {
  if (k.length < 8) return -1;
  let p = 0;
  for (let i = 0; i < 8; i++) {
    const c = k.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) p = p * 16 + (c - 0x30);
    else if (c >= 0x61 && c <= 0x66) p = p * 16 + (c - 0x57);
    else return -1;
  }
  return p;
}

/** The order of keys (indices into it), as `<` has it. */
export function sortOrder(keys: string[]): Uint32Array {
  const n = keys.length;
  if (n >= INDEX) throw new Error(`cannot sort ${n} keys at once`);
  const packed = new Float64Array(n);
  // both prefixes are monotone in `<`; hex digits in one pass, until a key has none
  let hex = true;
  for (let i = 0; i < n && hex; i++) {
    const p = hexPrefix(keys[i]);
    if (p < 0) hex = false;
    else packed[i] = p * INDEX + i;
  }
  if (!hex)
    for (let i = 0; i < n; i++) {
      // a shorter key's missing character counts as 0, below any other
      const k = keys[i];
      packed[i] = ((k.charCodeAt(0) || 0) * 65536 + (k.charCodeAt(1) || 0)) * INDEX + i;
    }
  packed.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = packed[i] % INDEX;
  // keys that share a prefix: their run is sorted by the whole key
  for (let i = 0; i < n;) {
    const p = Math.floor(packed[i] / INDEX);
    let j = i + 1;
    while (j < n && Math.floor(packed[j] / INDEX) === p) j++;
    if (j - i > 1) {
      const run = Array.from(order.subarray(i, j)).sort((a, b) =>
        keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b,
      );
      order.set(run, i);
    }
    i = j;
  }
  return order;
}

export class SortedRuns {
  private keys: string[] = [];
  private values: string[] = [];
  private files: string[] = [];
  private dir?: string;
  private readonly budget: SortBudget;
  private spilling?: Promise<void>;
  count = 0;

  /**
   * chunkSize: pairs in memory before a spill, unless a shared budget is given. 1M pairs of a
   * uuid and a row hash are about 120 MB; a validation of 1M users (3.5M rows) spills a few times.
   */
  constructor(chunkSize: number | SortBudget = 1_000_000) {
    this.budget = typeof chunkSize === 'number' ? new SortBudget(Math.min(chunkSize, INDEX - 1)) : chunkSize;
    this.budget.members.add(this);
  }

  get inMemory(): number {
    return this.keys.length;
  }

  /** A promise only when memory is full and a chunk spills: a pair that stays in memory costs no await. */
  add(key: string, value: string): Promise<void> | undefined {
    this.keys.push(key);
    this.values.push(value);
    this.count++;
    if (++this.budget.held < this.budget.limit) return undefined;
    const victim = this.budget.largest() ?? this;
    return victim.spill();
  }

  private spill(): Promise<void> {
    this.spilling ??= this.writeRun().finally(() => (this.spilling = undefined));
    return this.spilling;
  }

  private async writeRun(): Promise<void> {
    const { keys, values } = this;
    this.keys = [];
    this.values = [];
    this.budget.held -= keys.length;
    const order = sortOrder(keys);
    this.dir ??= mkdtempSync(join(tmpdir(), 'waymark-sort-'));
    const file = join(this.dir, `run-${this.files.length}`);
    const out = createWriteStream(file);
    // one entry a line; an entry holding a line break (or starting with the marker) goes as JSON
    let lines: string[] = [];
    const flush = async () => {
      if (!out.write(lines.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
      lines = [];
    };
    for (const i of order) {
      const e = encode(keys[i], values[i]);
      lines.push(e.includes('\n') || e.charCodeAt(0) === 1 ? `\x01${JSON.stringify(e)}\n` : `${e}\n`);
      if (lines.length >= 4096) await flush();
    }
    await flush();
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
    this.files.push(file);
  }

  /** All pairs in key order, a batch at a time: a merge walks a batch without an await per pair. */
  async *batches(size = 8192): AsyncGenerator<Batch, void> {
    await this.spilling;
    const { keys, values } = this;
    const order = sortOrder(keys);
    if (!this.files.length) {
      // a loop, not Array.from with a function: 500k pairs in 20 ms, where that took 30-140 ms
      const sortedKeys: string[] = [];
      const sortedValues: string[] = [];
      for (let i = 0; i < order.length; i++) {
        sortedKeys.push(keys[order[i]]);
        sortedValues.push(values[order[i]]);
      }
      yield { keys: sortedKeys, values: sortedValues };
      return;
    }
    const runs = this.files.map((f) => new RunReader(runLines(f)));
    // the pairs still in memory join the merge as one more run, encoded a batch at a time (not
    // all at once beside the pairs themselves)
    if (keys.length) runs.push(new RunReader(encodedBatches(order, keys, values)));
    for (const r of runs) await r.fill();
    let out: Batch = { keys: [], values: [] };
    for (;;) {
      let min: RunReader | undefined;
      for (const r of runs) if (r.head !== undefined && (!min || r.head < min.head!)) min = r;
      if (!min) break;
      const [k, v] = decode(min.head!);
      out.keys.push(k);
      out.values.push(v);
      if (out.keys.length >= size) {
        yield out;
        out = { keys: [], values: [] };
      }
      const wait = min.advance();
      if (wait) await wait;
    }
    if (out.keys.length) yield out;
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.budget.held -= this.keys.length;
    this.budget.members.delete(this);
    this.keys = [];
    this.values = [];
  }
}

export interface Batch {
  keys: string[];
  values: string[];
}

async function* encodedBatches(order: Uint32Array, keys: string[], values: string[]): AsyncGenerator<string[]> {
  for (let i = 0; i < order.length; i += 8192)
    yield Array.from(order.subarray(i, i + 8192), (j) => encode(keys[j], values[j]));
}

/** The head of one sorted run; awaits only when its buffered lines are used up. */
class RunReader {
  private lines: string[] = [];
  private at = 0;
  head: string | undefined;
  constructor(private readonly source: AsyncIterator<string[]>) {}
  async fill(): Promise<void> {
    while (this.at >= this.lines.length) {
      const next = await this.source.next();
      if (next.done) {
        this.head = undefined;
        return;
      }
      this.lines = next.value;
      this.at = 0;
    }
    this.head = this.lines[this.at];
  }
  advance(): Promise<void> | undefined {
    this.at++;
    if (this.at < this.lines.length) {
      this.head = this.lines[this.at];
      return undefined;
    }
    return this.fill();
  }
}

/** The entries of one spilled run, in order, a chunk of lines at a time. */
async function* runLines(file: string): AsyncGenerator<string[]> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    const lines: string[] = [];
    let from = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
      const line = text.slice(from, nl);
      from = nl + 1;
      lines.push(line.charCodeAt(0) === 1 ? (JSON.parse(line.slice(1)) as string) : line);
    }
    rest = text.slice(from);
    if (lines.length) yield lines;
  }
}

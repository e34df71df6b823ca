// An external sort of (key, hash) pairs: the JSON side of a row-level comparison
// arrives in file order, PostgreSQL's in key order. Pairs are sorted in chunks of a
// fixed size, spilled to temporary files, then merged, so memory stays bounded by the
// chunk size however many records there are.
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export type Pair = [key: string, hash: string];

const byKey = (a: Pair, b: Pair) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export class SortedRuns {
  private chunk: Pair[] = [];
  private files: string[] = [];
  private dir?: string;
  count = 0;

  // 250k pairs in memory before a spill (100k spilled 7 times for 200k users' 700k rows; the
  // time went into writing and re-reading runs), with room left under 512 MB at 1M users
  constructor(private readonly chunkSize = 250_000) {}

  /** A promise only when the chunk spills: a pair that stays in memory costs no await. */
  add(key: string, hash: string): Promise<void> | undefined {
    this.chunk.push([key, hash]);
    this.count++;
    return this.chunk.length >= this.chunkSize ? this.spill() : undefined;
  }

  private async spill(): Promise<void> {
    this.chunk.sort(byKey);
    this.dir ??= mkdtempSync(join(tmpdir(), 'waymark-sort-'));
    const file = join(this.dir, `run-${this.files.length}`);
    const out = createWriteStream(file);
    // one JSON array a line: a tab or newline inside a key cannot break the format
    for (const pair of this.chunk)
      if (!out.write(`${JSON.stringify(pair)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
    this.files.push(file);
    this.chunk = [];
  }

  /** All pairs in key order. */
  async *sorted(): AsyncGenerator<Pair, void> {
    if (!this.files.length) {
      this.chunk.sort(byKey);
      yield* this.chunk;
      return;
    }
    if (this.chunk.length) await this.spill();
    const readers = this.files.map((f) =>
      createInterface({ input: createReadStream(f), crlfDelay: Infinity })[Symbol.asyncIterator](),
    );
    const line = async (r: AsyncIterator<string>) => parse((await r.next()).value as string | undefined);
    const heads: Array<Pair | undefined> = await Promise.all(readers.map(line));
    for (;;) {
      let min = -1;
      for (let i = 0; i < heads.length; i++) if (heads[i] && (min < 0 || heads[i]![0] < heads[min]![0])) min = i;
      if (min < 0) return;
      yield heads[min]!;
      heads[min] = await line(readers[min]);
    }
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.chunk = [];
  }
}

function parse(line: string | undefined): Pair | undefined {
  return line === undefined ? undefined : (JSON.parse(line) as Pair);
}

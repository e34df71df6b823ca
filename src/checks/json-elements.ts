// The elements of one array inside a large JSON file, one at a time, at JSON.parse speed.
//
// A token-by-token streaming parser (stream-json) read 13 MB/s here; @streamparser/json 44 MB/s;
// JSON.parse of the whole file 140 MB/s but with the whole file in memory. This scanner only
// finds where each element of the wanted array begins and ends (strings, brackets, commas) and
// hands that slice to JSON.parse: 150 MB/s on the demo's projects.json, in bounded memory.
// Everything inside an element is checked by JSON.parse; the structure around the array is
// only followed as far as needed to find it.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';

/** How a read went, filled in as it goes: for progress, and to know what moment the data is from. */
export interface ReadInfo {
  size: number;
  bytes: number;
  /** when the file was opened */
  openedAt: number;
  /**
   * The file read was not written while it was read (its mtime did not move, and was already
   * older than the open): its content is as of openedAt. A store that replaces its file by a
   * rename leaves the open file as it was; one that writes in place moves the mtime.
   */
  unchangedSinceOpen?: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonShapeError extends Error {
  /** kept when the error crosses from a worker thread (its message and code are) */
  readonly code = 'WAYMARK_JSON_SHAPE';
}

/** What to do about an error met reading a data file; undefined when the file was not the cause. */
export function dataFileHint(e: unknown): string | undefined {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'check the data file paths (DATA_DIR)';
  if (code === 'WAYMARK_JSON_SHAPE')
    return (
      'look at that JSON file: it is damaged or cut short (restore it from its backup), ' +
      'or its writer had not finished'
    );
  return undefined;
}

/**
 * Yields each element of the array at `path` (dot-separated keys from the top object), or of
 * the top-level array when no path is given. A path that is not in the file yields nothing.
 * Throws JsonShapeError when the file ends inside that array or an element is not valid JSON.
 */
export async function* jsonElements(
  file: string,
  path?: string,
  signal?: AbortSignal,
  chunkSize = 1 << 20,
  info: ReadInfo = { size: 0, bytes: 0, openedAt: 0 },
): AsyncGenerator<unknown> {
  for await (const batch of jsonElementBatches(file, path, signal, chunkSize, info)) yield* batch;
}

/**
 * The elements one chunk completed, each parsed when it is asked for (at), so only the record
 * in hand is alive: a chunk's records parsed at once (a thousand projects with their tasks)
 * were alive at every young-generation collection, copied, and promoted to the old one.
 */
export class ElementBatch implements Iterable<unknown> {
  /** where each element begins and ends in buf; -1: it began in an earlier chunk and is whole in head */
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  head: Buffer | undefined;
  headOffset = 0;

  constructor(
    private readonly buf: Buffer,
    /** where buf is in the file */
    private readonly offset: number,
    /** the number of the first element among the array's */
    private readonly first: number,
    /** the file's name, to say where an element is broken */
    private readonly name: string,
  ) {}

  get length(): number {
    return this.starts.length;
  }

  /** The j-th element, parsed; JsonShapeError when it is not valid JSON. */
  at(j: number): unknown {
    const s = this.starts[j];
    const text = s < 0 ? this.head!.toString('utf8') : this.buf.toString('utf8', s, this.ends[j]);
    try {
      return JSON.parse(text);
    } catch (e) {
      const byte = s < 0 ? this.headOffset : this.offset + s;
      throw new JsonShapeError(
        `${this.name}: element ${this.first + j} (byte ${byte}) is not valid JSON: ${(e as Error).message}`,
      );
    }
  }

  *[Symbol.iterator](): Generator<unknown> {
    for (let j = 0; j < this.starts.length; j++) yield this.at(j);
  }
}

/**
 * jsonElements() a chunk's elements at a time: a reader of every element of a large file does
 * not pay an await per element (500k elements: 0.12 s).
 */
export async function* jsonElementBatches(
  file: string,
  path?: string,
  signal?: AbortSignal,
  chunkSize = 1 << 20,
  info: ReadInfo = { size: 0, bytes: 0, openedAt: 0 },
): AsyncGenerator<ElementBatch> {
  const want = path ? path.split('.') : [];
  const scanner = new Scanner(want);
  const name = basename(file);
  let offset = 0;
  info.openedAt = Date.now();
  const fh = await open(file);
  try {
    const before = await fh.stat();
    info.size = before.size;
    let done = false;
    // plain reads, a fresh buffer each: the scanner keeps slices of earlier chunks (an element
    // that spans them), and a stream abandoned half-way would read on after the file is closed
    for (;;) {
      if (signal?.aborted) throw new Error('cancelled');
      const chunk = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await fh.read(chunk, 0, chunkSize, null);
      if (bytesRead === 0) break;
      const buf = chunk.subarray(0, bytesRead);
      const out = new ElementBatch(buf, offset, scanner.elements, name);
      done = scanner.feed(buf, offset, out);
      offset += bytesRead;
      info.bytes = offset;
      if (out.length) yield out;
      if (done) break;
    }
    const after = await fh.stat();
    // 2 s: a file system that keeps mtimes in whole seconds (or two) could hide a write made
    // in the same second as the open
    info.unchangedSinceOpen =
      after.mtimeMs === before.mtimeMs && after.size === before.size && before.mtimeMs < info.openedAt - 2000;
    if (!done) scanner.end(file);
  } finally {
    await fh.close();
  }
}

class Scanner {
  /** containers open above the current byte: true for an object */
  private objects: boolean[] = [];
  /** the key most recently read in each open object */
  private keys: Array<string | undefined> = [];
  private inString = false;
  /** a backslash ended the last chunk inside a string: the next byte is escaped */
  private escapeNext = false;
  /** bytes of a key string being read across chunks (outside the array only) */
  private keyParts: Buffer[] | undefined;
  private lastString: string | undefined;
  /** depth of the wanted array's elements, once found */
  private arrayDepth = -1;
  private found = false;
  private sawStart = false;
  /** an element being read: its bytes so far (across chunks), and where it began in this chunk */
  private elementParts: Buffer[] = [];
  private elementStart = -1;
  private scalar = false;
  private index = 0;

  constructor(private readonly want: string[]) {}

  /** elements of the wanted array completed so far */
  get elements(): number {
    return this.index;
  }

  /** Scans one chunk; adds the elements it completes to out. True once the wanted array has closed. */
  feed(buf: Buffer, offset: number, out: ElementBatch): boolean {
    const n = buf.length;
    let i = 0;
    if (this.elementParts.length || this.scalar) this.elementStart = 0;
    this.nextBackslash = -2;
    while (i < n) {
      if (this.inString) {
        i = this.inStringAt(buf, i, out);
        continue;
      }
      const c = buf[i];
      if (this.scalar) {
        // a number, true, false or null ends at a comma, a bracket or a space
        if (c === COMMA || c === CLOSE_ARR || isSpace(c)) this.finish(buf, i, out);
        else {
          i++;
          continue;
        }
      }
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (!this.sawStart && this.begins(c, i)) {
        i += 3; // a byte order mark
        continue;
      }
      i = this.structure(buf, c, i, offset, out);
      if (i < 0) return true;
    }
    this.carry(buf);
    return false;
  }

  /** where the next backslash of this chunk is (-2: not looked for yet, -1: none) */
  private nextBackslash = -2;

  /** Inside a string: skips to its closing quote or the chunk's end; the index to go on from. */
  private inStringAt(buf: Buffer, i: number, out: ElementBatch): number {
    const n = buf.length;
    if (this.escapeNext) {
      this.escapeNext = false;
      return i + 1;
    }
    const q = buf.indexOf(QUOTE, i);
    if (this.nextBackslash !== -1 && this.nextBackslash < i) this.nextBackslash = buf.indexOf(BACKSLASH, i);
    const bs = this.nextBackslash;
    if (bs !== -1 && (q === -1 || bs < q)) {
      // an escape: skip the byte after the backslash, which may be in the next chunk
      if (bs + 1 < n) return bs + 2;
      this.escapeNext = true;
      return n;
    }
    if (q === -1) return n;
    this.inString = false;
    if (this.keyParts) {
      this.keyParts.push(buf.subarray(this.keyStart(), q + 1));
      this.lastString = JSON.parse(Buffer.concat(this.keyParts).toString('utf8')) as string;
      this.keyParts = undefined;
    }
    if (this.objects.length === this.arrayDepth && this.elementStart >= 0) this.finish(buf, q + 1, out);
    return q + 1;
  }

  /** The file's first byte that is not a space: true when it is a byte order mark to skip. */
  private begins(c: number, i: number): boolean {
    this.sawStart = true;
    if (c !== OPEN_OBJ && c !== OPEN_ARR && !(c === 0xef && i === 0))
      throw new JsonShapeError('the file is not JSON: it does not begin with { or [');
    return c === 0xef;
  }

  /** A byte outside strings and scalars; the index to go on from, or -1 once the wanted array has closed. */
  private structure(buf: Buffer, c: number, i: number, offset: number, out: ElementBatch): number {
    const depth = this.objects.length;
    if (depth === this.arrayDepth && this.elementStart < 0 && c !== COMMA && c !== CLOSE_ARR) {
      this.elementStart = i;
      this.elementOffset = offset + i;
      if (c !== OPEN_OBJ && c !== OPEN_ARR && c !== QUOTE) {
        this.scalar = true;
        return i + 1;
      }
    }
    if (c === QUOTE) {
      this.inString = true;
      // a key on the way to the array is read; nothing inside the array is
      if (this.arrayDepth < 0 && this.objects[depth - 1] === true && depth <= this.want.length) {
        this.keyParts = [];
        this.keyFrom = i;
      }
    } else if (c === OPEN_OBJ || c === OPEN_ARR) this.open(c === OPEN_OBJ, depth);
    else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      this.objects.pop();
      this.keys.pop();
      if (this.objects.length === this.arrayDepth && this.elementStart >= 0) this.finish(buf, i + 1, out);
      else if (this.arrayDepth >= 0 && this.objects.length === this.arrayDepth - 1) return -1;
    } else if (c === COLON && this.arrayDepth < 0 && depth > 0) this.keys[depth - 1] = this.lastString;
    return i + 1;
  }

  /** A container opens: it is the wanted array when the keys above it are the path. */
  private open(isObject: boolean, depth: number): void {
    if (
      this.arrayDepth < 0 &&
      !this.found &&
      !isObject &&
      depth === this.want.length &&
      this.want.every((k, d) => this.keys[d] === k)
    ) {
      this.arrayDepth = depth + 1;
      this.found = true;
    }
    this.objects.push(isObject);
    this.keys.push(undefined);
  }

  /** The chunk ends: a key or an element still open keeps its bytes for the next one. */
  private carry(buf: Buffer): void {
    if (this.keyParts) {
      this.keyParts.push(buf.subarray(this.keyStart()));
      this.keyFrom = -1;
    }
    if (this.elementStart >= 0) this.elementParts.push(buf.subarray(this.elementStart));
    this.elementStart = -1;
  }

  private keyFrom = -1;
  private elementOffset = 0;

  private keyStart(): number {
    // a key that began in an earlier chunk continues from this chunk's first byte
    return this.keyFrom < 0 ? 0 : this.keyFrom;
  }

  private finish(buf: Buffer, end: number, out: ElementBatch): void {
    if (this.elementParts.length) {
      // only the first element a chunk completes can have begun in an earlier one
      out.head = Buffer.concat([...this.elementParts, buf.subarray(this.elementStart, end)]);
      out.headOffset = this.elementOffset;
      out.starts.push(-1);
    } else out.starts.push(this.elementStart);
    out.ends.push(end);
    this.elementParts = [];
    this.elementStart = -1;
    this.scalar = false;
    this.index++;
  }

  end(file: string): void {
    if (this.scalar) throw new JsonShapeError(`${file} ends inside an element`);
    if (this.found && this.arrayDepth >= 0 && (this.objects.length >= this.arrayDepth || this.inString))
      throw new JsonShapeError(
        `${file} ends inside the array${this.want.length ? ` "${this.want.join('.')}"` : ''}: it is cut short`,
      );
    if (!this.sawStart) throw new JsonShapeError(`${file} is empty`);
    if (!this.found && !this.want.length) throw new JsonShapeError(`${file} holds no top-level array`);
  }
}

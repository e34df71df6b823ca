// Streams the records of users.json / projects.json without loading them whole.
//
// The files are one array, or { key: [...] } with the array under a top-level key. This
// reader only finds where each record of that array begins and ends (it skips strings and
// counts brackets) and hands the record's bytes to JSON.parse, which checks everything in
// it: a token-by-token streaming parser (stream-json) was 10× slower on these files.
import { existsSync, createReadStream } from 'node:fs';
import { basename } from 'node:path';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const BOM = [0xef, 0xbb, 0xbf];
const isOpen = (c) => c === 0x5b || c === 0x7b;
const isClose = (c) => c === 0x5d || c === 0x7d;
const isSpace = (c) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Yields the records of a JSON file holding an array, or { key: [...] }. A file that is not
 * there yields nothing; one cut short, or a record that is not JSON, throws with its place.
 */
export async function* records(file, key, chunkSize = 1 << 20) {
  if (!existsSync(file)) return;
  const name = basename(file);
  let buf = Buffer.alloc(0);
  let i = 0;
  let depth = 0;
  // the depth of the records: 1 in a top-level array, 2 once the key's array is found in an object
  let recordDepth = 0;
  let inString = false;
  let stringStart = -1;
  let lastString;
  let keyAbove;
  let start = -1;
  let skipped = 0; // bytes of the file before buf
  let n = 0;
  let done = false;
  let began = false;
  for await (const chunk of createReadStream(file, { highWaterMark: chunkSize })) {
    // what is still needed of buf (a record, a key at the top, an escape at its end) goes on with the next chunk
    const keep = Math.min(i, start >= 0 ? start : i, stringStart >= 0 && depth === 1 ? stringStart : i);
    buf = keep < buf.length ? Buffer.concat([buf.subarray(keep), chunk]) : chunk;
    skipped += keep;
    i -= keep;
    if (start >= 0) start -= keep;
    if (stringStart >= 0) stringStart -= keep;
    let backslash = -2; // where the next backslash is in buf (-1: none), looked up when passed
    while (i < buf.length && !done) {
      if (inString) {
        const q = buf.indexOf(QUOTE, i);
        if (backslash !== -1 && backslash < i) backslash = buf.indexOf(BACKSLASH, i);
        if (backslash !== -1 && (q === -1 || backslash < q)) {
          if (backslash + 1 >= buf.length) break; // the escaped byte is in the next chunk: read from here again
          i = backslash + 2;
          continue;
        }
        if (q === -1) {
          i = buf.length;
          break;
        }
        inString = false;
        if (depth === 1 && recordDepth !== 1) lastString = JSON.parse(buf.toString('utf8', stringStart, q + 1));
        stringStart = -1;
        i = q + 1;
        continue;
      }
      const c = buf[i];
      if (isSpace(c)) {
        i++;
        continue;
      }
      if (depth === 0 && recordDepth === 0) {
        if (skipped + i < 3 && BOM.includes(c)) {
          i++; // a byte order mark, byte by byte: a chunk may end inside it
          continue;
        }
        began = true;
        if (c !== 0x5b && c !== 0x7b) throw new Error(`${name} is not JSON: it does not begin with { or [`);
        if (c === 0x5b) recordDepth = 1;
      }
      if (depth === recordDepth && recordDepth > 0) {
        // between the records of the array: one ends at a comma or at the array's end
        if (c === COMMA || c === 0x5d) {
          if (start >= 0) yield parse(buf, start, i, name, skipped, n++);
          start = -1;
          if (c === 0x5d) done = true;
          i++;
          continue;
        }
        if (start < 0) start = i;
      }
      if (c === QUOTE) {
        inString = true;
        stringStart = i;
      } else if (c === COLON && depth === 1) keyAbove = lastString;
      else if (isOpen(c)) {
        if (depth === 1 && recordDepth === 0 && c === 0x5b && keyAbove === key) recordDepth = 2;
        depth++;
      } else if (isClose(c)) depth--;
      i++;
    }
    if (done) break;
  }
  if (!done && recordDepth > 0) throw new Error(`${name} ends inside its array: it is cut short`);
  if (!done && depth !== 0) throw new Error(`${name} is cut short`);
  if (!began) throw new Error(`${name} is empty`);
}

function parse(buf, start, end, name, skipped, n) {
  try {
    return JSON.parse(buf.toString('utf8', start, end));
  } catch (e) {
    throw new Error(`${name}: record ${n} (byte ${skipped + start}) is not valid JSON: ${e.message}`);
  }
}

/** Collects records into batches of `size`. */
export async function* batches(iter, size) {
  let batch = [];
  for await (const r of iter) {
    batch.push(r);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

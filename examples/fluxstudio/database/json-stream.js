// Streams the records of users.json / projects.json without loading them whole.
import { createReadStream, existsSync, openSync, readSync, closeSync } from 'node:fs';
import chain from 'stream-chain';
import { parser } from 'stream-json';
import { pick } from 'stream-json/filters/pick.js';
import { streamArray } from 'stream-json/streamers/stream-array.js';

/** The first non-blank character: '{' when the array is wrapped as { key: [...] }. */
function firstChar(file) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, 256, 0);
    return buf.subarray(0, n).toString('utf8').trimStart()[0];
  } finally {
    closeSync(fd);
  }
}

/** Yields the records of a JSON file holding an array, or { key: [...] }. */
export async function* records(file, key) {
  if (!existsSync(file)) return;
  const stages = [createReadStream(file), parser()];
  if (firstChar(file) === '{') stages.push(pick({ filter: key }));
  stages.push(streamArray());
  const pipeline = chain(stages);
  for await (const { value } of pipeline) yield value;
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

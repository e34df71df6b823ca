// Streams the records of a JSON-file entity (top-level, under a path, or nested
// inside a parent's records) without loading the file whole.
import { createReadStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Entity } from '../runbook/schema.js';

export interface JsonRecord {
  value: Record<string, unknown>;
  /** key of the parent record for nested entities */
  parentKey?: unknown;
}

export async function* streamArrayFile(file: string, path?: string, signal?: AbortSignal): AsyncGenerator<unknown> {
  const [{ default: chain }, { parser }, { pick }, { streamArray }] = await Promise.all([
    import('stream-chain'),
    import('stream-json'),
    import('stream-json/filters/pick.js'),
    import('stream-json/streamers/stream-array.js'),
  ]);
  const stages: unknown[] = [createReadStream(file), parser()];
  if (path) stages.push(pick({ filter: path }));
  stages.push(streamArray());
  const pipeline = (chain as unknown as (s: unknown[]) => NodeJS.ReadableStream & { destroy(): void })(stages);
  try {
    for await (const item of pipeline as AsyncIterable<{ value: unknown }>) {
      if (signal?.aborted) throw new Error('cancelled');
      yield item.value;
    }
  } finally {
    pipeline.destroy();
  }
}

export function entityFile(entities: Record<string, Entity>, name: string, baseDir: string): { file: string; path?: string; chain: Entity[] } {
  const chain: Entity[] = [];
  let e: Entity | undefined = entities[name];
  if (!e) throw new Error(`unknown data entity "${name}"`);
  while (e) {
    chain.unshift(e);
    e = e.nested_in ? entities[e.nested_in] : undefined;
  }
  return { file: resolve(baseDir, chain[0].file ?? ''), path: chain[0].path, chain };
}

/** Every record of an entity; nested ones are found inside their parents' arrays. */
export async function* streamEntity(entities: Record<string, Entity>, name: string, baseDir: string, signal?: AbortSignal): AsyncGenerator<JsonRecord> {
  const { file, path, chain } = entityFile(entities, name, baseDir);
  if (!existsSync(file)) throw Object.assign(new Error(`JSON file not found: ${file}`), { code: 'ENOENT' });
  for await (const top of streamArrayFile(file, path, signal)) {
    yield* descend(top, chain, 1, undefined);
  }
}

function* descend(record: unknown, chain: Entity[], depth: number, parentKey: unknown): Generator<JsonRecord> {
  if (!record || typeof record !== 'object') return;
  const rec = record as Record<string, unknown>;
  if (depth === chain.length) {
    yield { value: rec, parentKey };
    return;
  }
  const child = chain[depth];
  const arr = rec[child.field ?? ''];
  if (!Array.isArray(arr)) return;
  for (const c of arr) yield* descend(c, chain, depth + 1, rec[chain[depth - 1].key]);
}

export async function countEntity(entities: Record<string, Entity>, name: string, baseDir: string, signal?: AbortSignal): Promise<number> {
  let n = 0;
  for await (const _ of streamEntity(entities, name, baseDir, signal)) n++;
  return n;
}

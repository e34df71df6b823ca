// Streams the records of a JSON-file entity (top-level, under a path, or nested
// inside a parent's records) without loading the file whole.
import { existsSync } from 'node:fs';
import { jsonElements } from './json-elements.js';
import { basename, resolve } from 'node:path';
import type { Entity } from '../runbook/schema.js';

export interface JsonRecord {
  value: Record<string, unknown>;
  /** key of the parent record for nested entities */
  parentKey?: unknown;
}

export function entityFile(
  entities: Record<string, Entity>,
  name: string,
  baseDir: string,
): { file: string; path?: string; chain: Entity[] } {
  const chain: Entity[] = [];
  let e: Entity | undefined = entities[name];
  if (!e) throw new Error(`unknown data entity "${name}"`);
  while (e) {
    chain.unshift(e);
    e = e.nested_in ? entities[e.nested_in] : undefined;
  }
  return { file: resolve(baseDir, chain[0].file ?? ''), path: chain[0].path, chain };
}

/** An entry that is not a record (null, a string, a list), or a children field that is not a list. */
export type OnMalformed = (where: string, what: string) => void;

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

/**
 * Every record of an entity; nested ones are found inside their parents' arrays.
 * Malformed entries are told to onMalformed.
 */
export async function* streamEntity(
  entities: Record<string, Entity>,
  name: string,
  baseDir: string,
  signal?: AbortSignal,
  onMalformed?: OnMalformed,
): AsyncGenerator<JsonRecord> {
  const { file, path, chain } = entityFile(entities, name, baseDir);
  if (!existsSync(file)) throw Object.assign(new Error(`JSON file not found: ${file}`), { code: 'ENOENT' });
  const label = `${basename(file)} ${path ?? ''}`.trim();
  let i = 0;
  // records reach JSON.parse one by one (json-elements.ts says why not a token parser)
  for await (const top of jsonElements(file, path, signal)) {
    yield* descend(top, chain, 1, undefined, `${label}[${i++}]`, onMalformed);
  }
}

function* descend(
  record: unknown,
  chain: Entity[],
  depth: number,
  parentKey: unknown,
  where: string,
  onMalformed?: OnMalformed,
): Generator<JsonRecord> {
  if (!record || typeof record !== 'object' || Array.isArray(record)) {
    // only the entity's own level is its to report: a bad parent is the parent entity's
    if (depth === chain.length) onMalformed?.(where, `${kindOf(record)}, not a record`);
    return;
  }
  const rec = record as Record<string, unknown>;
  if (depth === chain.length) {
    yield { value: rec, parentKey };
    return;
  }
  const child = chain[depth];
  const arr = rec[child.field ?? ''];
  if (arr === undefined) return;
  if (!Array.isArray(arr)) {
    if (depth === chain.length - 1) onMalformed?.(`${where}.${child.field}`, `${kindOf(arr)}, not a list`);
    return;
  }
  for (let i = 0; i < arr.length; i++)
    yield* descend(arr[i], chain, depth + 1, rec[chain[depth - 1].key], `${where}.${child.field}[${i}]`, onMalformed);
}

export async function countEntity(
  entities: Record<string, Entity>,
  name: string,
  baseDir: string,
  signal?: AbortSignal,
): Promise<number> {
  let n = 0;
  for await (const _ of streamEntity(entities, name, baseDir, signal)) n++;
  return n;
}

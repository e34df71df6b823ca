// Streams the records of a JSON-file entity (top-level, under a path, or nested
// inside a parent's records) without loading the file whole.
import { existsSync } from 'node:fs';
import { jsonElementBatches, jsonElements, type ReadInfo } from './json-elements.js';
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
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** two spellings of one key: the same text, or one UUID in either case */
const sameKey = (a: string, b: string) => a === b || (a.length === 36 && a.toLowerCase() === b.toLowerCase());

/**
 * The records of a children field the entity declares may be a map (`also_as_map`): each value
 * with its key, the map's key given to a record that has none. A record whose own key is
 * another is malformed: which of the two is its key is not for a comparison to guess.
 */
function* mapEntries(
  map: Record<string, unknown>,
  child: Entity,
  where: string,
  onMalformed?: OnMalformed,
): Generator<[unknown, string]> {
  for (const [k, item] of Object.entries(map)) {
    const at = `${where}.${child.field}[${JSON.stringify(k)}]`;
    if (!isObject(item)) {
      yield [item, at];
      continue;
    }
    const own = item[child.key];
    if (own === undefined || own === null || own === '') yield [{ ...item, [child.key]: k }, at];
    else if ((typeof own === 'string' || typeof own === 'number') && sameKey(String(own), k)) yield [item, at];
    else onMalformed?.(at, `${child.key} ${JSON.stringify(own)} is not its key ${JSON.stringify(k)} in the map`);
  }
}

/** What a children field that is not a list holds: a map's entries, nothing (null), or undefined when malformed. */
function notAList(v: unknown, child: Entity, where: string, onMalformed?: OnMalformed) {
  if (v === null && child.null_is_empty) return [];
  if (isObject(v) && child.also_as_map) return mapEntries(v, child, where, onMalformed);
  return undefined;
}

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
  const own = depth === chain.length - 1 ? onMalformed : undefined;
  if (!Array.isArray(arr)) {
    const entries = notAList(arr, child, where, own);
    if (!entries) return void own?.(`${where}.${child.field}`, `${kindOf(arr)}, not a list`);
    for (const [item, at] of entries)
      yield* descend(item, chain, depth + 1, rec[chain[depth - 1].key], at, onMalformed);
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
  distinct = false,
): Promise<number> {
  if (distinct) return countDistinct(entities, name, baseDir, signal);
  let n = 0;
  for await (const _ of streamEntity(entities, name, baseDir, signal)) n++;
  return n;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A key as a table holds it once: 777 and "777" are one, a UUID in any case is one. */
const keyText = (k: unknown) => {
  const t = String(k);
  return UUID.test(t) ? t.toLowerCase() : t;
};

/**
 * The records of an entity, an id held twice counted once (a nested one within its parent, where
 * its key is unique only there): what a table holds after a migration that keeps one copy of each.
 * A record without a key counts on its own.
 */
async function countDistinct(
  entities: Record<string, Entity>,
  name: string,
  baseDir: string,
  signal?: AbortSignal,
): Promise<number> {
  const e = entities[name];
  const scoped = e.key_scope === 'parent';
  const seen = new Set<string>();
  let keyless = 0;
  for await (const r of streamEntity(entities, name, baseDir, signal)) {
    const k = r.value[e.key ?? 'id'];
    if (k === undefined || k === null || k === '') keyless++;
    else seen.add(scoped ? `${keyText(r.parentKey)}\0${keyText(k)}` : keyText(k));
  }
  return seen.size + keyless;
}

/** The entities of a list grouped by the file (and path) they are read from, in first-named order. */
export function groupByFile(
  entities: Record<string, Entity>,
  names: string[],
  baseDir: string,
): Array<{ file: string; path?: string; names: string[] }> {
  const groups = new Map<string, { file: string; path?: string; names: string[] }>();
  for (const name of names) {
    const { file, path } = entityFile(entities, name, baseDir);
    const id = `${file}\0${path ?? ''}`;
    if (!groups.has(id)) groups.set(id, { file, path, names: [] });
    groups.get(id)!.names.push(name);
  }
  return [...groups.values()];
}

export interface FilePass {
  signal?: AbortSignal;
  /** each record of each entity; a promise when the receiver needs a moment (a sort spilling) */
  onRecord: (name: string, value: Record<string, unknown>, parentKey: unknown) => Promise<void> | undefined;
  onMalformed: (name: string, where: string, what: string) => void;
  info?: ReadInfo;
}

/**
 * Several entities from one file in one pass (projects, and the tasks and milestones nested
 * in them): the file is read and parsed once, however many entities it holds.
 */
export async function readEntities(
  entities: Record<string, Entity>,
  names: string[],
  baseDir: string,
  pass: FilePass,
): Promise<void> {
  const chains = names.map((n) => ({ name: n, chain: entityFile(entities, n, baseDir).chain }));
  const { file, path } = entityFile(entities, names[0], baseDir);
  if (!existsSync(file)) throw Object.assign(new Error(`JSON file not found: ${file}`), { code: 'ENOENT' });
  const label = `${basename(file)} ${path ?? ''}`.trim();
  let i = 0;
  const pending: Array<Promise<void>> = [];
  for await (const batch of jsonElementBatches(file, path, pass.signal, undefined, pass.info)) {
    for (let j = 0; j < batch.length; j++) {
      const top = batch.at(j);
      const at = i++;
      for (const { name, chain } of chains) {
        visit(top, chain, 1, undefined, () => `${label}[${at}]`, name, pass, pending);
        if (pending.length) await Promise.all(pending.splice(0));
      }
    }
  }
}

/** descend() without a generator per record: the single pass calls back instead */
function visit(
  record: unknown,
  chain: Entity[],
  depth: number,
  parentKey: unknown,
  where: () => string,
  name: string,
  pass: FilePass,
  pending: Array<Promise<void>>,
): void {
  if (!record || typeof record !== 'object' || Array.isArray(record)) {
    if (depth === chain.length) pass.onMalformed(name, where(), `${kindOf(record)}, not a record`);
    return;
  }
  const rec = record as Record<string, unknown>;
  if (depth === chain.length) {
    const p = pass.onRecord(name, rec, parentKey);
    if (p) pending.push(p);
    return;
  }
  const child = chain[depth];
  const arr = rec[child.field ?? ''];
  if (arr === undefined) return;
  if (!Array.isArray(arr)) {
    const own = depth === chain.length - 1 ? (w: string, what: string) => pass.onMalformed(name, w, what) : undefined;
    const entries = notAList(arr, child, where(), own);
    if (!entries) return void own?.(`${where()}.${child.field}`, `${kindOf(arr)}, not a list`);
    for (const [item, at] of entries)
      visit(item, chain, depth + 1, rec[chain[depth - 1].key], () => at, name, pass, pending);
    return;
  }
  const key = rec[chain[depth - 1].key];
  const last = depth + 1 === chain.length;
  for (let j = 0; j < arr.length; j++) {
    const item: unknown = arr[j];
    if (last && item && typeof item === 'object' && !Array.isArray(item)) {
      // a record of the entity, as nearly every child is: no path to it is made (400k tasks
      // and milestones made a function each, and its scope, for an error that never came)
      const p = pass.onRecord(name, item as Record<string, unknown>, key);
      if (p) pending.push(p);
    } else visit(item, chain, depth + 1, key, childWhere(where, child.field, j), name, pass, pending);
  }
}

const childWhere = (where: () => string, field: string | undefined, j: number) => () => `${where()}.${field}[${j}]`;

// One entity of a data.validate comparison: its spec, what its JSON side holds (each record
// reduced to a key and a row hash, sorted externally), and what the comparison found.
import type { Entity } from '../runbook/schema.js';
import { normalize, rowHash, mapLegacyKey, type FieldType, type Normalisation } from './normalize.js';
import { SortBudget, SortedRuns } from './sorted-runs.js';
import type { TableShape } from './validate-pg.js';
import { DEFAULTED, KINDS, NEW, NOT_KEPT, ONLY_PG, type Diff, type Kind } from './validate-kinds.js';

export interface EntitySpec {
  name: string;
  table?: string;
  key_column: string;
  parent_column?: string;
  fields: Record<string, string | { column: string; type?: FieldType; normalize?: Normalisation[]; default?: unknown }>;
  not_compared?: Record<string, string>;
  as_of_column?: string;
}

export interface EntityStats {
  json: number;
  pg: number;
  matched: number;
  mismatched: number;
  defaultsAccepted: number;
  newSinceRead: number;
  onlyInPg: number;
  /** copies of a duplicated id PostgreSQL does not hold, where it holds another copy exactly */
  notKept: number;
  kinds: Record<Kind, number>;
  /** the table was read while its file was parsed */
  readEarly: boolean;
  accuracy: number;
  examples: Diff[];
  notCompared: Array<[string, string]>;
  norms: Array<[string, string]>;
}

export interface ValidateOptions {
  ns?: string;
  maxExamples: number;
  contains: boolean;
  emit: (d: Diff) => void;
  /** for tests: sort memory, and whether the server may hash (the reference hashes everything) */
  sortBudget?: number;
  serverHash?: boolean;
  /**
   * for tests: whether a table's query is begun while its file is parsed (beginEarly): when the
   * parse outlasts SETTLE_MS (auto), always (at once, a failure not hidden by asking again), never
   */
  early?: 'auto' | 'always' | 'never';
  /** settles when a core has nothing else to do: only then are queries begun early (auto) */
  spareCore?: Promise<void>;
}

/** One entity's comparison, from its JSON records to its numbers. */
export class Side {
  readonly kinds = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  private readonly shown = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  readonly examples: Diff[] = [];
  newSinceRead = 0;
  onlyInPg = 0;
  notKept = 0;
  json: SortedRuns;
  shape!: TableShape;
  notCompared: Array<[string, string]> = [];
  /** rows created after this are new since the JSON read (with grace for a write in flight) */
  readStart = '';
  /** the table is not read before this moment */
  notBefore = 0;
  readonly fieldNames: string[];

  constructor(
    readonly spec: EntitySpec,
    readonly entity: Entity,
    readonly o: ValidateOptions,
    budget: SortBudget,
  ) {
    this.json = new SortedRuns(budget);
    this.fieldNames = Object.keys(spec.fields);
  }

  report(d: Omit<Diff, 'entity'>): void {
    const full = { entity: this.spec.name, ...d };
    this.o.emit(full);
    if (d.kind === NEW) return void this.newSinceRead++;
    if (d.kind === DEFAULTED) return;
    if (d.kind === ONLY_PG) return void this.onlyInPg++;
    if (d.kind === NOT_KEPT) return void this.notKept++;
    this.kinds[d.kind]++;
    if (this.shown[d.kind]++ < this.o.maxExamples) this.examples.push(full);
  }

  /** A JSON record's comparable values, in the shape's column order; into `into` when given. */
  values(rec: Record<string, unknown>, parentKey: unknown, into: Array<string | null> = []): Array<string | null> {
    const cols = this.shape.columns;
    const names = this.fieldNames;
    for (let i = 0; i < names.length; i++) into[i] = normalize(rec[names[i]], cols[i].type, this.o.ns, cols[i].norms);
    if (this.spec.parent_column) into[names.length] = parentKey === undefined ? null : this.parentText(parentKey);
    return into;
  }

  /** the children of one parent come one after the other: its key is mapped once for them all */
  private lastParent: { key: unknown; text: string } = { key: undefined, text: '' };
  parentText(key: unknown): string {
    const last = this.lastParent;
    if (key !== last.key) this.lastParent = { key, text: mapLegacyKey(key, this.o.ns) };
    return this.lastParent.text;
  }

  /** the values of the record being hashed: one list for all, as rowHash keeps none of it */
  private readonly scratch: Array<string | null> = [];

  /**
   * The record's key as PostgreSQL holds it: a legacy key mapped (uuid v5); one unique only
   * within its parent (key_scope: parent) mapped with the parent's mapped key as namespace.
   */
  keyOf(k: unknown, parentKey: unknown): string {
    if (this.entity.key_scope !== 'parent' || !this.o.ns || parentKey === undefined) return mapLegacyKey(k, this.o.ns);
    return mapLegacyKey(k, this.parentText(parentKey));
  }

  add(rec: Record<string, unknown>, parentKey: unknown): Promise<void> | undefined {
    const k = rec[this.entity.key];
    if (k === undefined || k === null || k === '') {
      this.report({
        kind: 'malformed',
        key: `${this.spec.name} without ${this.entity.key}`,
        field: '(entry)',
        json: 'a record without a key',
        pg: null,
      });
      return undefined;
    }
    return this.json.add(this.keyOf(k, parentKey), rowHash(this.values(rec, parentKey, this.scratch)));
  }
}

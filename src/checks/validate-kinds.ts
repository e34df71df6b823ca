// The kinds of discrepancy data.validate tells apart, and the shape of one in its file.
/** The kinds of discrepancy, kept apart: each has its own count, examples and lines in the file. */
export const KINDS = ['missing', 'extra', 'differs', 'duplicate', 'malformed', 'default-filled'] as const;
/** Noted, never a discrepancy: a row written after the JSON was read (the migration goes on under live writes). */
export const NEW = 'new-since-read';
/** Noted, never a discrepancy, in contains mode: a row PostgreSQL has and the JSON never had. */
export const ONLY_PG = 'only-in-postgresql';
/**
 * Noted, never a discrepancy: a copy of an id the JSON holds twice, where PostgreSQL holds another
 * copy exactly (the migration kept one, as the operator chose).
 */
export const NOT_KEPT = 'duplicate-not-kept';
/** Noted, never a discrepancy: a missing JSON value where PostgreSQL holds the column default the runbook declares. */
export const DEFAULTED = 'default-as-declared';
export type Kind = (typeof KINDS)[number];
export const KIND_LABEL: Record<Kind | typeof NEW | typeof ONLY_PG | typeof DEFAULTED | typeof NOT_KEPT, string> = {
  [NOT_KEPT]: 'a copy of a duplicated id not kept: PostgreSQL holds another copy (not a discrepancy)',
  [NEW]: 'new since the JSON was read (not a discrepancy)',
  [ONLY_PG]: 'only in PostgreSQL (contains mode: not a discrepancy)',
  [DEFAULTED]: 'default filled as declared (not a discrepancy)',
  missing: 'missing in PostgreSQL',
  extra: 'extra in PostgreSQL',
  differs: 'field differs',
  duplicate: 'duplicate in JSON',
  malformed: 'malformed JSON entry',
  'default-filled': 'default filled by the migration',
};

export type Diff = {
  entity: string;
  kind: Kind | typeof NEW | typeof ONLY_PG | typeof DEFAULTED | typeof NOT_KEPT;
  key: string;
  field: string;
  json: string | null;
  pg: string | null;
};

// What "the same data" means for Flux Studio, derived from the conversions the migration and
// the rollback use (conversions.js), never written beside them: every normalisation the
// validation applies is one the migration applies. runbook.yaml's data section and its
// data-validation check declare the same (a test holds them equal to this).
import { ENTITIES } from './conversions.js';

const FILES = { users: 'users.json', projects: 'projects.json' };
const nested = Object.entries(ENTITIES.projects.children);

/** The data entities: files, nesting, and how nested records are written in a real store. */
export const entities = {
  ...Object.fromEntries(
    Object.entries(FILES).map(([name, file]) => [name, { file, path: name, key: 'id', table: ENTITIES[name].table }]),
  ),
  ...Object.fromEntries(
    nested.map(([field, name]) => [
      name,
      {
        nested_in: 'projects',
        field,
        key: 'id',
        table: ENTITIES[name].table,
        // task "1" of each project is its own task; a map keyed by id and a null list read as the migration reads them
        ...(ENTITIES[name].keyScope === 'parent' ? { key_scope: 'parent' } : {}),
        also_as_map: true,
        null_is_empty: true,
      },
    ]),
  ),
};

/** How the migration converts a missing or empty value of each type, as the validation's normalisations. */
const NORMS = { timestamp: ['empty_is_null'], date: ['empty_is_null', 'midnight_utc_is_date'], ref: ['empty_is_null'] };

function field({ column, type, default: dflt }) {
  const spec = {
    column,
    ...(type === 'ref' ? { type: 'key' } : {}),
    ...(NORMS[type] ? { normalize: NORMS[type] } : {}),
    ...(dflt !== undefined ? { default: dflt } : {}),
  };
  return Object.keys(spec).length === 1 ? column : spec;
}

const legacy = { legacy: 'what the migration keeps for rollback (legacy ids, fields without a column), not data of the app' };

// Users and projects written after the JSON was read are new, not extra: the app keeps serving.
export const comparisons = Object.entries(ENTITIES).map(([name, spec]) => ({
  name,
  ...(spec.parent ? { parent_column: spec.parent } : { as_of_column: 'created_at' }),
  fields: Object.fromEntries(Object.entries(spec.fields).filter(([f]) => f !== 'id').map(([f, s]) => [f, field(s)])),
  not_compared: legacy,
}));

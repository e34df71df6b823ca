// Each check type's module, loaded when a check of that type runs: a command that runs one
// check does not build the other types' param schemas (registry.ts has them all, for the
// loader, which validates every check of a runbook). A test holds the two lists equal.
import type { CheckType } from './types.js';

const as = (c: unknown) => c as CheckType;
export const checkLoaders: Record<string, () => Promise<CheckType>> = {
  command: () => import('./command.js').then((m) => as(m.commandCheck)),
  file: () => import('./file.js').then((m) => as(m.fileCheck)),
  env: () => import('./env.js').then((m) => as(m.envCheck)),
  http: () => import('./http.js').then((m) => as(m.httpCheck)),
  'pg.connection': () => import('./pg-connection.js').then((m) => as(m.pgConnectionCheck)),
  'pg.query': () => import('./pg-query.js').then((m) => as(m.pgQueryCheck)),
  counts: () => import('./counts.js').then((m) => as(m.countsCheck)),
  'data.validate': () => import('./data-validate.js').then((m) => as(m.dataValidateCheck)),
  'pg.pool': () => import('./pg-pool.js').then((m) => as(m.pgPoolCheck)),
  'pg.slow-queries': () => import('./pg-slow-queries.js').then((m) => as(m.pgSlowQueriesCheck)),
  'pg.cache-hit': () => import('./pg-cache-hit.js').then((m) => as(m.pgCacheHitCheck)),
  'pg.index-usage': () => import('./pg-index-usage.js').then((m) => as(m.pgIndexUsageCheck)),
  'pg.duplicates': () => import('./pg-duplicates.js').then((m) => as(m.pgDuplicatesCheck)),
  'pg.size': () => import('./pg-size.js').then((m) => as(m.pgSizeCheck)),
};

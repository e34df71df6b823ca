// Every check type, by name. Adding a type: one file exporting a defineCheck(), one line here.
import type { CheckType } from './types.js';
import { commandCheck } from './command.js';
import { fileCheck } from './file.js';
import { envCheck } from './env.js';
import { httpCheck } from './http.js';
import { pgConnectionCheck } from './pg-connection.js';
import { pgQueryCheck } from './pg-query.js';
import { countsCheck } from './counts.js';
import { dataValidateCheck } from './data-validate.js';
import { pgPoolCheck } from './pg-pool.js';
import { pgSlowQueriesCheck } from './pg-slow-queries.js';
import { pgCacheHitCheck } from './pg-cache-hit.js';
import { pgIndexUsageCheck } from './pg-index-usage.js';
import { pgDuplicatesCheck } from './pg-duplicates.js';
import { pgSizeCheck } from './pg-size.js';

export const checkTypes: Record<string, CheckType> = Object.fromEntries(
  [
    commandCheck,
    fileCheck,
    envCheck,
    httpCheck,
    pgConnectionCheck,
    pgQueryCheck,
    countsCheck,
    dataValidateCheck,
    pgPoolCheck,
    pgSlowQueriesCheck,
    pgCacheHitCheck,
    pgIndexUsageCheck,
    pgDuplicatesCheck,
    pgSizeCheck,
  ].map((c) => [c.type, c as unknown as CheckType]),
);

/** types whose run talks to PostgreSQL (they need a connection) */
export function needsConnection(type: string): boolean {
  return type.startsWith('pg.') || type === 'counts' || type === 'data.validate';
}

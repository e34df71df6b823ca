import { z } from 'zod';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { type CheckOutcome, defineCheck } from './types.js';
import { readEnvFile } from '../runbook/template.js';

export const envCheck = defineCheck({
  type: 'env',
  description: "A key's value in an env file (e.g. USE_POSTGRES=false)",
  params: z
    .object({ file: z.string(), key: z.string(), equals: z.union([z.string(), z.number(), z.boolean()]).optional() })
    .strict(),
  async run(p, ctx): Promise<CheckOutcome> {
    const file = resolve(ctx.baseDir, p.file);
    if (!existsSync(file))
      return { status: 'fail', summary: `env file not found: ${file}`, metrics: {}, hint: 'create it or fix the path' };
    const values = readEnvFile(file);
    const actual = values[p.key];
    const want = p.equals === undefined ? undefined : String(p.equals);
    const ok = want === undefined ? actual !== undefined : actual === want;
    const shown = actual === undefined ? '(not set)' : ctx.redactor.redact(actual);
    return {
      status: ok ? 'pass' : 'fail',
      summary: `${p.key}=${shown}${want !== undefined && !ok ? ` (expected ${want})` : ''}`,
      metrics: { [p.key]: actual === undefined ? null : ctx.redactor.redact(actual) },
      thresholds: want !== undefined ? { [p.key]: `= ${want}` } : { [p.key]: 'set' },
    };
  },
});

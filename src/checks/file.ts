import { z } from 'zod';
import { readdirSync, statSync, readFileSync, existsSync } from 'node:fs';
import { resolve, dirname, basename } from 'node:path';
import { type CheckOutcome, defineCheck } from './types.js';
import { parseDuration } from '../runbook/duration.js';

const duration = z.string().refine((s) => parseDuration(s) !== undefined, 'a duration such as "1h" or "7d"');

export const fileCheck = defineCheck({
  type: 'file',
  description:
    'A file exists, is non-empty, fresh enough, and optionally contains a pattern. A "*" in the name picks ' +
    'the newest match (e.g. backups).',
  params: z
    .object({
      path: z.string(),
      min_bytes: z.number().int().nonnegative().default(1),
      max_age: duration.optional(),
      contains: z.string().optional(),
    })
    .strict(),
  async run(p, ctx): Promise<CheckOutcome> {
    const full = resolve(ctx.baseDir, p.path);
    let target: string | undefined = full;
    let matches = 1;
    if (basename(full).includes('*')) {
      const dir = dirname(full);
      const re = new RegExp('^' + basename(full).split('*').map(escapeRe).join('.*') + '$');
      const found = existsSync(dir)
        ? readdirSync(dir)
            .filter((n) => re.test(n))
            .map((n) => resolve(dir, n))
        : [];
      matches = found.length;
      target = found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    }
    if (!target || !existsSync(target))
      return {
        status: 'fail',
        summary: `not found: ${p.path}`,
        metrics: { exists: false, matches: 0 },
        hint: 'create it, or check the path',
      };
    const st = statSync(target);
    const ageMs = Date.now() - st.mtimeMs;
    const maxAge = p.max_age ? parseDuration(p.max_age)! : undefined;
    const problems: string[] = [];
    if (st.size < p.min_bytes) problems.push(`${st.size} bytes < ${p.min_bytes}`);
    if (maxAge !== undefined && ageMs > maxAge) problems.push(`${Math.round(ageMs / 60000)} min old > ${p.max_age}`);
    if (p.contains && !new RegExp(p.contains, 'm').test(readFileSync(target, 'utf8')))
      problems.push(`does not contain /${p.contains}/`);
    return {
      status: problems.length ? 'fail' : 'pass',
      summary: problems.length
        ? `${basename(target)}: ${problems.join('; ')}`
        : `${basename(target)}: ${st.size} bytes, ${formatAge(ageMs)} old`,
      metrics: { exists: true, bytes: st.size, age_s: Math.round(ageMs / 1000), matches },
      thresholds: { bytes: `>= ${p.min_bytes}`, ...(p.max_age ? { age: `<= ${p.max_age}` } : {}) },
      evidence: [{ columns: ['file', 'bytes', 'modified'], rows: [[target, st.size, st.mtime.toISOString()]] }],
    };
  },
});

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

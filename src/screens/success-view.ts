// The success criteria screen as lines: each criterion with its status now, the evidence it
// rests on, and what fails it. Pure; the rows come from the report's own evaluation.
import type { SuccessRow } from '../report/build.js';
import { wrap } from './theme.js';
import type { ViewLine } from './step-view.js';

const MARK: Record<SuccessRow['status'], string> = { met: '✔ met', 'not met': '✗ NOT MET', 'not yet': '· not yet' };
const TONE: Record<SuccessRow['status'], ViewLine['tone']> = { met: 'cmd', 'not met': 'red', 'not yet': undefined };

export function successLines(rows: SuccessRow[], width: number): ViewLine[] {
  if (!rows.length) return [{ text: 'This runbook states no success criteria.', tone: 'dim' }];
  const out: ViewLine[] = [];
  const met = rows.filter((r) => r.status === 'met').length;
  out.push({ text: `${met} of ${rows.length} criteria met`, tone: met === rows.length ? 'cmd' : undefined });
  for (const r of rows) {
    out.push({ text: ' ' });
    const head = wrap(`${MARK[r.status]}  ${r.criterion}`, width);
    out.push(...head.map((text) => ({ text, tone: TONE[r.status] })));
    for (const f of r.failedBy ?? [])
      out.push(...wrap(`  ✗ ${f}`, width).map((text) => ({ text, tone: 'red' as const })));
    for (const e of r.evidence) out.push(...wrap(`  ${e}`, width).map((text) => ({ text, tone: 'dim' as const })));
  }
  return out;
}

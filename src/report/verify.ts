// Verifies a report file: the signature over the canonical content, and that the
// file is exactly the rendering of that content (so no visible byte can change).
import { readFileSync } from 'node:fs';
import { checkSignature } from './sign.js';
import { render, type ReportFormat } from './write.js';
import type { SignedReport } from './render-md.js';

export interface VerifyOutcome {
  ok: boolean;
  format?: ReportFormat;
  problems: string[];
  report?: SignedReport;
}

function extract(text: string): { format: ReportFormat; embedded: string; signed: SignedReport } | string {
  try {
    if (text.trimStart().startsWith('{')) return { format: 'json', embedded: '', signed: JSON.parse(text) as SignedReport };
    const html = /<script type="application\/json" id="waymark-signed-report">([\s\S]*?)<\/script>/.exec(text);
    if (html) return { format: 'html', embedded: html[1], signed: JSON.parse(html[1]) as SignedReport };
    const md = /<!-- waymark-signed-report\n([\s\S]*?)\n-->/.exec(text);
    if (md) return { format: 'md', embedded: md[1], signed: JSON.parse(Buffer.from(md[1].replace(/\s+/g, ''), 'base64').toString('utf8')) as SignedReport };
  } catch (e) {
    return `the embedded signed content is unreadable (${(e as Error).message})`;
  }
  return 'no Waymark signature found in this file (is it a Waymark report?)';
}

export function verifyReportText(text: string): VerifyOutcome {
  const x = extract(text);
  if (typeof x === 'string') return { ok: false, problems: [x] };
  const { signed, format, embedded } = x;
  if (!signed?.body || !signed?.signature) return { ok: false, format, problems: ['the signed content has no body or no signature'] };
  const problems = checkSignature(signed.body, signed.signature);
  const expected = render(signed, format, format === 'json' ? undefined : embedded);
  if (expected !== text) {
    const a = text.split('\n');
    const b = expected.split('\n');
    let i = 0;
    while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
    problems.push(`line ${i + 1} differs from the signed content: "${(a[i] ?? '(missing)').slice(0, 120)}" — expected "${(b[i] ?? '(nothing)').slice(0, 120)}"`);
  }
  return { ok: problems.length === 0, format, problems, report: signed };
}

export function verifyReportFile(file: string): VerifyOutcome {
  return verifyReportText(readFileSync(file, 'utf8'));
}

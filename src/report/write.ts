// Builds, signs, renders and writes a report; records its digest in the audit log.
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Session } from '../phases/session.js';
import { readAudit } from '../state/audit.js';
import { buildReport, type ReportBody } from './build.js';
import { operatorKey, signBody } from './sign.js';
import { renderMarkdown, type SignedReport } from './render-md.js';
import { renderHtml } from './render-html.js';

export type ReportFormat = 'md' | 'html' | 'json';

export function embed(signed: SignedReport, format: ReportFormat): string {
  const json = JSON.stringify(signed);
  if (format === 'md') return Buffer.from(json, 'utf8').toString('base64').replace(/(.{76})/g, '$1\n').trim();
  // inside <script>: no "</" may appear
  return json.replace(/</g, '\\u003c');
}

export function render(signed: SignedReport, format: ReportFormat, embedded = embed(signed, format)): string {
  if (format === 'json') return JSON.stringify(signed, null, 2) + '\n';
  if (format === 'md') return renderMarkdown(signed, embedded);
  return renderHtml(signed, embedded);
}

export function signReport(session: Session, body: ReportBody): SignedReport {
  const key = operatorKey(session.opts.stateDir, session.opts.operator);
  return { body, signature: signBody(body, key, session.opts.operator) };
}

export interface WrittenReport {
  file: string;
  digest: string;
  recorded: boolean;
}

export function writeReport(session: Session, scope: { phase: string } | { all: true }, format: ReportFormat, out?: string): WrittenReport {
  const body = buildReport(
    { runbook: session.runbook, runbookHash: session.state.runbookHash, state: session.state, redactor: session.lr.redactor, audit: readAudit(session.paths.audit), now: session.now() },
    scope,
  );
  const signed = signReport(session, body);
  const text = render(signed, format);
  const stamp = body.generatedAt.replace(/[:.]/g, '-');
  const file = resolve(out ?? join(session.paths.reports, `${'phase' in scope ? scope.phase : 'migration'}-${stamp}.${format}`));
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  let recorded = false;
  if (!session.opts.readOnly) {
    session.recordNote('report.written', { scope: 'phase' in scope ? scope.phase : 'all', format, file, digest: signed.signature.digest, keyFingerprint: signed.signature.keyFingerprint });
    if ('phase' in scope) session.dispatch({ type: 'report.recorded', phaseId: scope.phase, digest: signed.signature.digest });
    recorded = true;
  }
  return { file, digest: signed.signature.digest, recorded };
}

export async function writePhaseReport(session: Session, phaseId: string, format: ReportFormat): Promise<string> {
  return writeReport(session, { phase: phaseId }, format).file;
}

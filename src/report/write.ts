// Builds, signs, renders and writes a report; records its digest in the audit log.
// The signature is an OpenSSH signature (SSHSIG, namespace "waymark") over every byte
// of the file before it, appended as a comment: `ssh-keygen -Y verify` checks it too.
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { writeWhole } from '../state/durable.js';
import type { Session } from '../phases/session.js';
import { readAudit, type AuditHead } from '../state/audit.js';
import { findTrustFile, readTrustFile, type TrustFile } from '../state/trust.js';
import { markTrust } from './proofs.js';
import { identityOf, operatorKey } from '../state/ssh-keys.js';
import { signMessage } from '../state/sshsig.js';
import { buildReport, type ReportBody, type SignedReport } from './build.js';

export type { SignedReport };
import { renderMarkdown } from './render-md.js';
import { renderHtml } from './render-html.js';

export type ReportFormat = 'md' | 'html' | 'json';

export const SIG_OPEN = '<!-- waymark-sshsig\n';
export const SIG_CLOSE = '-->\n';

export function embed(signed: SignedReport, format: ReportFormat): string {
  const json = JSON.stringify(signed);
  if (format === 'md')
    return Buffer.from(json, 'utf8')
      .toString('base64')
      .replace(/(.{76})/g, '$1\n')
      .trim();
  // inside <script>: no "</" may appear
  return json.replace(/</g, '\\u003c');
}

/** The text that is signed: the whole report but its signature. */
export function render(signed: SignedReport, format: ReportFormat): string {
  if (format === 'json') return JSON.stringify({ format: signed.body.format, ...signed }, null, 2) + '\n';
  if (format === 'md') return renderMarkdown(signed, embed(signed, format));
  return renderHtml(signed, embed(signed, format));
}

/** The signature as the file carries it: a JSON member for JSON, a comment after the text otherwise. */
export function attach(text: string, armored: string, format: ReportFormat): string {
  if (format === 'json') return text.replace(/\n}\n$/, `,\n  "sshsig": ${JSON.stringify(armored)}\n}\n`);
  return `${text}${SIG_OPEN}${armored}${SIG_CLOSE}`;
}

export async function signedText(
  session: Session,
  body: ReportBody,
  format: ReportFormat,
): Promise<{ text: string; auditHead: AuditHead; keyFingerprint: string }> {
  const key = operatorKey(session.opts.stateDir, session.opts.operator, session.opts.signingKey);
  const operator = session.opts.operator;
  const signer = {
    operator,
    identity: identityOf(operator),
    keyFingerprint: key.fingerprint,
    publicKey: key.publicLine,
  };
  const auditHead = session.audit.head;
  const text = render({ body, signer, auditHead }, format);
  return {
    text: attach(text, await signMessage(Buffer.from(text), key.signer), format),
    auditHead,
    keyFingerprint: key.fingerprint,
  };
}

export interface WrittenReport {
  file: string;
  digest: string;
  recorded: boolean;
  /** the sign-offs and approvals the trust file does not vouch for, each with why */
  untrusted: string[];
  /** the trust file they were checked against, if one was found */
  trustFile?: string;
}

/** The trust file for a session's runbook: the one named, else the runbook's, else the one beside it. */
function sessionTrust(session: Session, named?: string): TrustFile | undefined {
  const file = findTrustFile(named, session.lr.file, session.runbook);
  return file ? readTrustFile(file) : undefined;
}

export async function writeReport(
  session: Session,
  scope: { phase: string } | { all: true },
  format: ReportFormat,
  out?: string,
  allowedSigners?: string,
): Promise<WrittenReport> {
  // a sign-off being signed as the session opened is in the report with its signature
  await session.signaturesSettled();
  const audit = readAudit(session.paths.audit);
  const input = {
    runbook: session.runbook,
    runbookHash: session.state.runbookHash,
    runbookFile: basename(session.lr.file),
    state: session.state,
    redactor: session.lr.redactor,
    audit,
  };
  const body = buildReport({ ...input, now: session.now(), realNow: new Date() }, scope);
  const trust = sessionTrust(session, allowedSigners);
  const untrusted = markTrust(body, trust);
  const { text, auditHead, keyFingerprint } = await signedText(session, body, format);
  const digest = createHash('sha256').update(text).digest('hex');
  const stamp = body.generatedAt.replace(/[:.]/g, '-');
  const file = resolve(
    out ?? join(session.paths.reports, `${'phase' in scope ? scope.phase : 'migration'}-${stamp}.${format}`),
  );
  writeWhole(file, text);
  let recorded = false;
  if (!session.opts.readOnly) {
    session.recordNote('report.written', {
      scope: 'phase' in scope ? scope.phase : 'all',
      format,
      file,
      digest,
      keyFingerprint,
      auditHead,
    });
    if ('phase' in scope) session.dispatch({ type: 'report.recorded', phaseId: scope.phase, digest });
    recorded = true;
  }
  return { file, digest, recorded, untrusted, trustFile: trust?.file };
}

export async function writePhaseReport(
  session: Session,
  phaseId: string,
  format: ReportFormat,
): Promise<{ file: string; untrusted: string[] }> {
  const r = await writeReport(session, { phase: phaseId }, format);
  return { file: r.file, untrusted: r.untrusted };
}

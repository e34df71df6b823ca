// Verifies a report file: its SSH signature over every byte before it, and who signed
// it against an allowed_signers file. Damage of any kind is ALTERED, never a crash.
import { readFileSync } from 'node:fs';
import { fingerprint, parseArmored, verifySignature, NAMESPACE } from '../state/sshsig.js';
import { allowed, parseAllowedSigners, principalsFor } from '../state/allowed-signers.js';
import { identityOf } from '../state/ssh-keys.js';
import { checkLegacySignature, legacyKeyBlob, type LegacySignature } from './legacy-sign.js';
import { attach, SIG_CLOSE, SIG_OPEN, type ReportFormat } from './write.js';
import type { ReportBody, SignedReport } from './build.js';
import { checkEmbedded } from './proofs.js';

/** intact and trusted 0 · altered or untrusted 1 · bad usage 2 · intact but nobody to trust it against 3 */
export const VERIFY_EXIT = { trusted: 0, failed: 1, noTrustFile: 3 } as const;

export type Trust = 'trusted' | 'untrusted' | 'no-trust-file';

export interface VerifyOutcome {
  /** the bytes are exactly those that were signed */
  intact: boolean;
  trust?: Trust;
  /** the report's own signer alone, before its sign-offs are counted */
  signerTrust?: Trust;
  format?: ReportFormat;
  legacy?: boolean;
  problems: string[];
  body?: ReportBody;
  signer?: { operator: string; identity: string; keyFingerprint: string };
  /** said whether or not the report verifies (e.g. that it is of the old format) */
  notes?: string[];
  /** who the allowed_signers file says the key belongs to, when not the named signer */
  keyBelongsTo?: string[];
  /** each sign-off and approval the report shows, checked by its embedded proof (none in older reports) */
  signoffs?: Array<{ label: string; keyFingerprint?: string; trust?: Trust; why?: string }>;
}

type Found = { format: ReportFormat; message: string; armored: string; signed: SignedReport };
type Legacy = { format: ReportFormat; legacy: { body: ReportBody; signature: LegacySignature } };

function parseEmbedded(format: ReportFormat, message: string): SignedReport {
  if (format === 'html') {
    const m = /<script type="application\/json" id="waymark-signed-report">([\s\S]*?)<\/script>/.exec(message);
    if (!m) throw new Error('the page has no signed content');
    return JSON.parse(m[1]) as SignedReport;
  }
  const m = /<!-- waymark-signed-report\n([\s\S]*?)\n-->/.exec(message);
  if (!m) throw new Error('the document has no signed content');
  return JSON.parse(Buffer.from(m[1].replace(/\s+/g, ''), 'base64').toString('utf8')) as SignedReport;
}

function extract(text: string): Found | Legacy | string {
  try {
    if (text.trimStart().startsWith('{')) {
      const doc = JSON.parse(text) as Record<string, unknown>;
      if (!('sshsig' in doc)) return { format: 'json', legacy: doc as unknown as Legacy['legacy'] };
      const { sshsig, ...rest } = doc;
      const message = JSON.stringify(rest, null, 2) + '\n';
      return { format: 'json', message, armored: String(sshsig), signed: rest as unknown as SignedReport };
    }
    const at = text.lastIndexOf(SIG_OPEN);
    if (at < 0) {
      // the first format carried no SSH signature, only its embedded content
      const format: ReportFormat = text.includes('id="waymark-signed-report"') ? 'html' : 'md';
      if (format === 'md' && !text.includes('<!-- waymark-signed-report'))
        return 'no Waymark signature found in this file (is it a Waymark report?)';
      return { format, legacy: parseEmbedded(format, text) as unknown as Legacy['legacy'] };
    }
    const format: ReportFormat = text.includes('id="waymark-signed-report"') ? 'html' : 'md';
    const message = text.slice(0, at);
    const armored = text.slice(at + SIG_OPEN.length).replace(new RegExp(`${SIG_CLOSE}$`), '');
    return { format, message, armored, signed: parseEmbedded(format, message) };
  } catch (e) {
    return `the report's signed content is unreadable: ${(e as Error).message}`;
  }
}

function trustOf(
  allowedSigners: string | undefined,
  identity: string,
  key: Buffer,
  problems: string[],
): { trust: Trust; belongs?: string[] } {
  if (allowedSigners === undefined) return { trust: 'no-trust-file' };
  const { signers, problems: bad } = parseAllowedSigners(allowedSigners);
  problems.push(...bad.map((b) => `allowed_signers ${b}`));
  if (allowed(signers, identity, key, NAMESPACE)) return { trust: 'trusted' };
  return { trust: 'untrusted', belongs: principalsFor(signers, key, NAMESPACE) };
}

/** Verifies report text; `allowedSigners` is the text of an allowed_signers file, if there is one. */
export function verifyReportText(text: string, allowedSigners?: string, trustFileName?: string): VerifyOutcome {
  const x = extract(text);
  if (typeof x === 'string') return { intact: false, problems: [x] };
  if ('legacy' in x) return verifyLegacy(x, allowedSigners);
  const problems: string[] = [];
  const signed = x.signed;
  if (!signed?.body?.title || !signed.signer?.identity)
    return { intact: false, format: x.format, problems: ['the signed content has no body or no signer'] };
  let sig;
  try {
    sig = parseArmored(x.armored);
  } catch (e) {
    return { intact: false, format: x.format, problems: [`the signature block is damaged: ${(e as Error).message}`] };
  }
  // the signature block itself is covered too: only its canonical spelling is accepted
  if (attach(x.message, sig.canonical, x.format) !== text)
    problems.push('the signature block was changed (spacing or encoding differs from what was signed)');
  const bad = verifySignature(Buffer.from(x.message), sig);
  if (bad) problems.push(bad);
  const fp = fingerprint(sig.publicKey);
  const signer = { operator: signed.signer.operator, identity: signed.signer.identity, keyFingerprint: fp };
  const out: VerifyOutcome = { intact: problems.length === 0, format: x.format, problems, body: signed.body, signer };
  if (!out.intact) return out;
  // the bytes are as signed; who signed them is a question for the trust file, about the key that really signed
  const t = trustOf(allowedSigners, signer.identity, sig.publicKey, problems);
  if (fp !== signed.signer.keyFingerprint) {
    problems.push(`the report names key ${signed.signer.keyFingerprint} but was signed with ${fp}`);
    if (t.trust === 'trusted') t.trust = 'untrusted';
  }
  const notes: string[] = [];
  const signerTrust = t.trust;
  const signoffs = signoffsOf(signed.body, allowedSigners, trustFileName, notes);
  // the report is trusted only when its signer and every sign-off and approval in it are
  if (signoffs.some((x) => x.trust === 'untrusted')) t.trust = 'untrusted';
  return {
    ...out,
    trust: t.trust,
    signerTrust,
    keyBelongsTo: t.belongs,
    signoffs,
    notes: notes.length ? notes : undefined,
  };
}

/** The report's sign-offs and approvals, each checked by the proof it carries. */
function signoffsOf(
  body: ReportBody,
  allowedSigners: string | undefined,
  file: string | undefined,
  notes: string[],
): NonNullable<VerifyOutcome['signoffs']> {
  if (!body.signoffProofs?.embedded) {
    const any = body.phases?.some((p) => p.signoffs?.some((x) => x.kind !== 'reopened'));
    if (any)
      notes.push(
        'this report was signed before sign-off proofs were embedded: its own signature is checked, the ' +
          "sign-offs and approvals it shows are not (check them in the run's record with waymark audit --verify " +
          '--allowed-signers)',
      );
    return [];
  }
  const trust = allowedSigners === undefined ? undefined : { file: file ?? '', ...parseAllowedSigners(allowedSigners) };
  return checkEmbedded(body, trust).map((c) => ({
    label: c.label,
    keyFingerprint: c.check?.keyFingerprint,
    trust: c.untrusted ? 'untrusted' : c.check?.trust,
    why: c.why,
  }));
}

function verifyLegacy(x: Legacy, allowedSigners?: string): VerifyOutcome {
  const { body, signature } = x.legacy ?? ({} as Legacy['legacy']);
  if (!body?.title || !signature?.publicKey)
    return {
      intact: false,
      format: x.format,
      legacy: true,
      problems: ['the signed content has no body or no signature'],
    };
  const problems: string[] = [];
  const notes = [
    'old report format (waymark-report/1): only its embedded content is signed, with a key carried inside the ' +
      'file; write it again with `waymark report` for an SSH signature over every byte',
  ];
  const bad = checkLegacySignature(body, signature);
  let key: Buffer | undefined;
  try {
    key = legacyKeyBlob(signature.publicKey);
  } catch {
    bad.push('the embedded public key is unreadable');
  }
  const signer = {
    operator: signature.operator,
    identity: signature.operator,
    keyFingerprint: key ? fingerprint(key) : '?',
  };
  if (bad.length || !key) return { intact: false, legacy: true, format: x.format, problems: bad, notes, body, signer };
  const t = trustOf(allowedSigners, identityOf(signer.identity), key, problems);
  return {
    intact: true,
    legacy: true,
    format: x.format,
    problems,
    notes,
    body,
    signer,
    trust: t.trust,
    keyBelongsTo: t.belongs,
  };
}

export function verifyReportFile(file: string, allowedSigners?: string, trustFileName?: string): VerifyOutcome {
  return verifyReportText(readFileSync(file, 'utf8'), allowedSigners, trustFileName);
}

// Reports of the first format (waymark-report/1): Ed25519 over the canonical JSON, with the
// signer's public key inside the file. Only read now, to verify reports written before
// SSH signatures; nothing new is signed this way.
import { createPublicKey, verify, createHash } from 'node:crypto';
import { canonicalJson } from '../checks/normalize.js';
import { ed25519Blob } from '../state/sshsig.js';

export interface LegacySignature {
  algorithm: 'ed25519';
  operator: string;
  /** SPKI, PEM */
  publicKey: string;
  keyFingerprint: string;
  /** sha256 of the canonical JSON of the report body */
  digest: string;
  /** base64 Ed25519 signature over the canonical JSON */
  signature: string;
}

export function digestOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The embedded key as an SSH key blob, to look it up in an allowed_signers file. */
export function legacyKeyBlob(publicKeyPem: string): Buffer {
  const jwk = createPublicKey(publicKeyPem).export({ format: 'jwk' });
  return ed25519Blob(Buffer.from(jwk.x!, 'base64url'));
}

export function checkLegacySignature(body: unknown, sig: LegacySignature): string[] {
  const problems: string[] = [];
  if (sig.algorithm !== 'ed25519') problems.push(`unknown signature algorithm ${String(sig.algorithm)}`);
  const digest = digestOf(body);
  if (digest !== sig.digest)
    problems.push(`the report's content does not match its digest (content sha256 ${digest.slice(0, 16)}…)`);
  try {
    const data = Buffer.from(canonicalJson({ body, operator: sig.operator }));
    if (!verify(null, data, createPublicKey(sig.publicKey), Buffer.from(String(sig.signature), 'base64')))
      problems.push(
        'the Ed25519 signature does not verify with the embedded public key (content or signer name changed)',
      );
  } catch (e) {
    problems.push(`the signature or public key is unreadable (${(e as Error).message})`);
  }
  return problems;
}

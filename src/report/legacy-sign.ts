// Ed25519 signing of the canonical report. One key pair per operator, created on
// first use in the state directory (private key readable by its owner only).
import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, verify, createHash, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../checks/normalize.js';

export interface Signature {
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

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'operator';

export function keyFingerprint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return 'SHA256:' + createHash('sha256').update(der).digest('base64').replace(/=+$/, '');
}

export function operatorKey(stateDir: string, operator: string): { privateKey: KeyObject; publicKeyPem: string; file: string } {
  const dir = join(stateDir, 'keys');
  const file = join(dir, `${slug(operator)}.ed25519.pem`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(file.replace(/\.pem$/, '.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    chmodSync(file, 0o600);
  }
  const privateKey = createPrivateKey(readFileSync(file));
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKeyPem, file };
}

export function digestOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** What is signed: the report and the name of who signs it. */
function signedBytes(body: unknown, operator: string): Buffer {
  return Buffer.from(canonicalJson({ body, operator }));
}

export function signBody(body: unknown, key: { privateKey: KeyObject; publicKeyPem: string }, operator: string): Signature {
  const data = signedBytes(body, operator);
  return {
    algorithm: 'ed25519',
    operator,
    publicKey: key.publicKeyPem,
    keyFingerprint: keyFingerprint(key.publicKeyPem),
    digest: digestOf(body),
    signature: sign(null, data, key.privateKey).toString('base64'),
  };
}

export function checkSignature(body: unknown, sig: Signature): string[] {
  const problems: string[] = [];
  if (sig.algorithm !== 'ed25519') problems.push(`unknown signature algorithm ${sig.algorithm}`);
  const digest = digestOf(body);
  try {
    if (keyFingerprint(sig.publicKey) !== sig.keyFingerprint) problems.push(`the key fingerprint ${sig.keyFingerprint} is not that of the embedded public key`);
  } catch {
    /* reported below */
  }
  if (digest !== sig.digest) problems.push(`the report's content does not match its digest (content sha256 ${digest.slice(0, 16)}…, signed ${String(sig.digest).slice(0, 16)}…)`);
  try {
    if (!verify(null, signedBytes(body, sig.operator), createPublicKey(sig.publicKey), Buffer.from(sig.signature, 'base64')))
      problems.push('the Ed25519 signature does not verify with the embedded public key (content or signer name changed)');
  } catch (e) {
    problems.push(`the signature or public key is unreadable (${(e as Error).message})`);
  }
  return problems;
}

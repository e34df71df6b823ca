// OpenSSH signatures (PROTOCOL.sshsig): the format `ssh-keygen -Y sign` writes and
// git verifies for SSH-signed commits. Waymark signs with namespace "waymark" and
// sha512, so `ssh-keygen -Y verify -n waymark` agrees with `waymark verify`.
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export const NAMESPACE = 'waymark';
const MAGIC = Buffer.from('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

// ---- SSH wire encoding ----

export function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

export function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Reads SSH wire strings one after another; throws on anything short or over-long. */
export class WireReader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}
  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new Error('truncated SSH data');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE();
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  text(): string {
    return this.string().toString('utf8');
  }
  get done(): boolean {
    return this.at === this.buf.length;
  }
}

// ---- public keys ----

/** The public key blob's type: "ssh-ed25519", "ssh-rsa", … */
export function keyType(blob: Buffer): string {
  return new WireReader(blob).text();
}

/** OpenSSH's fingerprint: SHA256:base64 of the key blob, without padding. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** "ssh-ed25519 AAAA…" */
export function publicKeyLine(blob: Buffer): string {
  return `${keyType(blob)} ${blob.toString('base64')}`;
}

export function ed25519Blob(raw32: Buffer): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(raw32)]);
}

/** A Node KeyObject for a public key blob (Ed25519 and RSA; others are not verified here). */
export function keyObjectOf(blob: Buffer): KeyObject {
  const r = new WireReader(blob);
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const raw = r.string();
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  }
  if (type === 'ssh-rsa') {
    const e = r.string();
    const n = r.string();
    const b64u = (x: Buffer) => (x[0] === 0 ? x.subarray(1) : x).toString('base64url');
    return createPublicKey({ key: { kty: 'RSA', n: b64u(n), e: b64u(e) }, format: 'jwk' });
  }
  throw new Error(`keys of type ${type} are not supported (use an Ed25519 or RSA key)`);
}

// ---- signatures ----

/** What the key signs: the SSHSIG preamble, the namespace and the hash of the message. */
export function signedData(message: Buffer, namespace = NAMESPACE, hash: 'sha512' | 'sha256' = 'sha512'): Buffer {
  const h = createHash(hash).update(message).digest();
  return Buffer.concat([MAGIC, sshString(namespace), sshString(''), sshString(hash), sshString(h)]);
}

/** Something that holds a private key: a key file in memory, or ssh-agent. */
export interface Signer {
  publicKey: Buffer;
  /** an SSH signature blob (string algorithm, string signature) over data */
  sign(data: Buffer): Promise<Buffer>;
}

export async function signMessage(message: Buffer, signer: Signer, namespace = NAMESPACE): Promise<string> {
  const sig = await signer.sign(signedData(message, namespace));
  const blob = Buffer.concat([
    MAGIC,
    uint32(1),
    sshString(signer.publicKey),
    sshString(namespace),
    sshString(''),
    sshString('sha512'),
    sshString(sig),
  ]);
  return armor(blob);
}

/** Armored as ssh-keygen writes it: base64 in lines of 70 characters. */
export function armor(blob: Buffer): string {
  const b64 = blob
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .replace(/\n$/, '');
  return `${BEGIN}\n${b64}\n${END}\n`;
}

export interface ParsedSignature {
  publicKey: Buffer;
  namespace: string;
  hash: string;
  signature: Buffer;
  /** the armored text as Waymark would write it: any other spelling is not the signature it signed */
  canonical: string;
}

/** Reads an armored SSH signature; throws a sentence on anything malformed. */
export function parseArmored(text: string): ParsedSignature {
  const t = text.trim();
  if (!t.startsWith(BEGIN) || !t.endsWith(END)) throw new Error('not an armored SSH signature');
  const b64 = t.slice(BEGIN.length, t.length - END.length).replace(/\s+/g, '');
  const blob = Buffer.from(b64, 'base64');
  if (blob.toString('base64') !== b64) throw new Error('the signature is not canonical base64');
  const r = new WireReader(blob);
  if (!r.bytes(6).equals(MAGIC)) throw new Error('the signature does not start with SSHSIG');
  const version = r.uint32();
  if (version !== 1) throw new Error(`SSHSIG version ${version} is not supported`);
  const publicKey = r.string();
  const namespace = r.text();
  r.string(); // reserved
  const hash = r.text();
  const signature = r.string();
  if (!r.done) throw new Error('the signature has trailing data');
  return { publicKey, namespace, hash, signature, canonical: armor(blob) };
}

/** Checks a signature over a message; returns the problem in words, or undefined when it verifies. */
export function verifySignature(message: Buffer, sig: ParsedSignature, namespace = NAMESPACE): string | undefined {
  if (sig.namespace !== namespace) return `the signature is for namespace "${sig.namespace}", not "${namespace}"`;
  if (sig.hash !== 'sha512' && sig.hash !== 'sha256') return `hash algorithm ${sig.hash} is not supported`;
  const data = signedData(message, namespace, sig.hash);
  const r = new WireReader(sig.signature);
  const alg = r.text();
  const raw = r.string();
  let key: KeyObject;
  try {
    key = keyObjectOf(sig.publicKey);
  } catch (e) {
    return (e as Error).message;
  }
  const type = keyType(sig.publicKey);
  let good: boolean;
  if (type === 'ssh-ed25519' && alg === 'ssh-ed25519') good = cryptoVerify(null, data, key, raw);
  else if (type === 'ssh-rsa' && (alg === 'rsa-sha2-512' || alg === 'rsa-sha2-256'))
    good = cryptoVerify(alg === 'rsa-sha2-512' ? 'sha512' : 'sha256', data, key, raw);
  else return `signature algorithm ${alg} does not fit a ${type} key`;
  return good ? undefined : 'the signature does not verify: the signed content was changed';
}

// The operator's signing key: an SSH key named by --key / WAYMARK_SIGNING_KEY (a private
// key file, or a .pub whose private half ssh-agent holds, as git's user.signingKey),
// else a per-operator Ed25519 key that Waymark creates once in its state folder.
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { syncFolder, writeWhole } from './durable.js';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  ed25519Blob,
  fingerprint,
  keyType,
  publicKeyLine,
  sshString,
  uint32,
  WireReader,
  type Signer,
} from './sshsig.js';

export class KeyError extends Error {
  override name = 'KeyError';
}

export interface OperatorKey {
  signer: Signer;
  /** where the key came from, in words */
  source: string;
  fingerprint: string;
  /** "ssh-ed25519 AAAA…" */
  publicLine: string;
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'operator';
const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0');

function ed25519Signer(key: KeyObject): Signer {
  const jwk = key.export({ format: 'jwk' });
  const publicKey = ed25519Blob(Buffer.from(jwk.x!, 'base64url'));
  return {
    publicKey,
    sign: async (data) => Buffer.concat([sshString('ssh-ed25519'), sshString(sign(null, data, key))]),
  };
}

/** Reads an unencrypted OpenSSH Ed25519 private key; says what to do with anything else. */
export function readOpenSshKey(text: string, file: string): KeyObject | 'encrypted' {
  const b64 = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const r = new WireReader(Buffer.from(b64, 'base64'));
  if (!r.bytes(OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) throw new KeyError(`${file} is not an OpenSSH private key`);
  const cipher = r.text();
  r.string(); // kdf name
  r.string(); // kdf options
  if (r.uint32() !== 1) throw new KeyError(`${file} holds more than one key`);
  const pub = r.string();
  if (cipher !== 'none') return 'encrypted';
  const type = keyType(pub);
  if (type !== 'ssh-ed25519')
    throw new KeyError(
      `${file} is a ${type} key; Waymark signs from a file only with Ed25519 (load other keys into ssh-agent ` +
        `and name their .pub)`,
    );
  const priv = new WireReader(r.string());
  if (priv.uint32() !== priv.uint32()) throw new KeyError(`${file} is damaged (check bytes differ)`);
  priv.text();
  const x = priv.string();
  const seedAndPub = priv.string();
  return createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: seedAndPub.subarray(0, 32).toString('base64url'),
      x: x.toString('base64url'),
    },
    format: 'jwk',
  });
}

/** An unencrypted OpenSSH private key file for an Ed25519 key, as ssh-keygen writes it. */
export function writeOpenSshKey(key: KeyObject, comment: string): string {
  const jwk = key.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const d = Buffer.from(jwk.d!, 'base64url');
  const pub = ed25519Blob(x);
  const check = uint32(Math.floor(Math.random() * 2 ** 32));
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(x),
    sshString(Buffer.concat([d, x])),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const blob = Buffer.concat([
    OPENSSH_MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(pub),
    sshString(priv),
  ]);
  const body = blob
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** A signer backed by ssh-agent (SSH_AUTH_SOCK) for the given public key. */
export function agentSigner(publicKey: Buffer, socket: string): Signer {
  return {
    publicKey,
    sign: (data) =>
      new Promise((resolve, reject) => {
        // SSH_AGENTC_SIGN_REQUEST; RSA keys are asked for rsa-sha2-512 (flag 4), as ssh-keygen does
        const flags = keyType(publicKey) === 'ssh-rsa' ? 4 : 0;
        const body = Buffer.concat([Buffer.from([13]), sshString(publicKey), sshString(data), uint32(flags)]);
        const sock = connect(socket);
        let got = Buffer.alloc(0);
        const fail = (why: string) => {
          sock.destroy();
          reject(new KeyError(why));
        };
        sock.setTimeout(30_000, () => fail('ssh-agent did not answer within 30 s (does it wait for a confirmation?)'));
        sock.on('error', (e) =>
          fail(`cannot reach ssh-agent at ${socket} (${(e as NodeJS.ErrnoException).code ?? e.message})`),
        );
        sock.on('connect', () => sock.write(Buffer.concat([uint32(body.length), body])));
        sock.on('data', (chunk) => {
          got = Buffer.concat([got, chunk]);
          if (got.length < 4 || got.length < 4 + got.readUInt32BE()) return;
          sock.end();
          const msg = got.subarray(4, 4 + got.readUInt32BE());
          if (msg[0] !== 14)
            return fail('ssh-agent refused to sign (is the key loaded? ssh-add -l lists the keys it holds)');
          resolve(new WireReader(msg.subarray(1)).string());
        });
      }),
  };
}

function fromFile(file: string, env: NodeJS.ProcessEnv): OperatorKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeyError(
      `cannot read the signing key ${file} ` +
        `(${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not readable'})`,
    );
  }
  const pubLine = /^(ssh-[a-z0-9-]+|ecdsa-[a-z0-9-]+)\s+([A-Za-z0-9+/=]+)/m.exec(text);
  const viaAgent = (blob: Buffer, why: string): OperatorKey => {
    if (!env.SSH_AUTH_SOCK)
      throw new KeyError(`${file} ${why}, and SSH_AUTH_SOCK is not set: start ssh-agent and ssh-add the key`);
    return {
      signer: agentSigner(blob, env.SSH_AUTH_SOCK),
      source: `ssh-agent (${file})`,
      fingerprint: fingerprint(blob),
      publicLine: publicKeyLine(blob),
    };
  };
  if (pubLine) return viaAgent(Buffer.from(pubLine[2], 'base64'), 'is a public key');
  let key: KeyObject | 'encrypted';
  try {
    if (text.includes('BEGIN OPENSSH PRIVATE KEY')) key = readOpenSshKey(text, file);
    else key = createPrivateKey(text);
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw new KeyError(
      `the signing key ${file} is damaged or not a private key: replace it, or name another with --key`,
    );
  }
  if (key === 'encrypted') {
    const pub = `${file}.pub`;
    const line = existsSync(pub) ? /^\S+\s+(\S+)/.exec(readFileSync(pub, 'utf8')) : null;
    if (!line)
      throw new KeyError(
        `${file} is protected by a passphrase: load it into ssh-agent (ssh-add) and keep ${pub} beside it`,
      );
    return viaAgent(Buffer.from(line[1], 'base64'), 'is protected by a passphrase');
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new KeyError(`${file} is not an Ed25519 key; load it into ssh-agent and name its .pub instead`);
  const signer = ed25519Signer(key);
  return {
    signer,
    source: file,
    fingerprint: fingerprint(signer.publicKey),
    publicLine: publicKeyLine(signer.publicKey),
  };
}

/** The file of the key Waymark keeps for an operator who names none. */
export function ownKeyFile(stateDir: string, operator: string): string {
  return join(stateDir, 'keys', `${slug(operator)}_ed25519`);
}

/**
 * The operator's signing key. Named (flag or WAYMARK_SIGNING_KEY): that key, from its file or
 * ssh-agent. Otherwise Waymark's own per-operator key, created once (an older Waymark's
 * PEM key for the same operator is kept, so earlier reports name the same key).
 */
export function operatorKey(
  stateDir: string,
  operator: string,
  named?: string,
  env: NodeJS.ProcessEnv = process.env,
): OperatorKey {
  const file = named ?? env.WAYMARK_SIGNING_KEY;
  if (file) return fromFile(file, env);
  const own = ownKeyFile(stateDir, operator);
  const comment = `${operator} (waymark)`;
  if (!existsSync(own)) {
    mkdirSync(join(stateDir, 'keys'), { recursive: true, mode: 0o700 });
    const legacy = join(stateDir, 'keys', `${slug(operator)}.ed25519.pem`);
    const key = existsSync(legacy) ? createPrivateKey(readFileSync(legacy)) : generateKeyPairSync('ed25519').privateKey;
    // Whole or absent, and made once: written whole under a name of its own, then linked into
    // place, which fails if another process got there first (two commands of one operator
    // started at once made two keys, the second overwriting the first and its public half).
    const tmp = `${own}.new-${process.pid}-${Math.random().toString(36).slice(2)}`;
    writeWhole(tmp, writeOpenSshKey(key, comment), 0o600);
    try {
      linkSync(tmp, own);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      unlinkSync(tmp);
    }
    syncFolder(join(stateDir, 'keys'));
  }
  // the public half, from the private key in place: they always match
  if (!existsSync(`${own}.pub`)) {
    const priv = readOpenSshKey(readFileSync(own, 'utf8'), own);
    if (priv !== 'encrypted') writeWhole(`${own}.pub`, `${publicKeyLine(ed25519Signer(priv).publicKey)} ${comment}\n`);
  }
  return fromFile(own, env);
}

/** The identity a report names and `ssh-keygen -Y verify -I` checks: the operator's name without
 * the characters allowed_signers cannot hold (a comma splits patterns, a quote ends one). */
export function identityOf(operator: string): string {
  return operator.replace(/[",\r\n]/g, '');
}

/** A principal for allowed_signers: the identity, quoted when it has spaces. */
export function principalOf(operator: string): string {
  const p = identityOf(operator);
  return /\s/.test(p) ? `"${p}"` : p;
}

/** The operator's line for an allowed_signers file (git's gpg.ssh.allowedSignersFile). */
export function allowedSignersLine(operator: string, key: OperatorKey): string {
  return `${principalOf(operator)} namespaces="waymark" ${key.publicLine}`;
}

// A history rewritten by someone who can write the state folder and nothing else: the failed
// attempt of a step is cut out of the audit log, the chain and the sign-off are made again, and
// the sign-off is signed again, by mallory's own key or by alice's. Each check says what it can:
// the trust file catches a key that is not alice's; only a witness outside the run (the chain
// heads alice's webhook received) catches alice rewriting her own history.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { cliAsync } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { lineHash, GENESIS } from '../../src/state/audit.js';

const sshKeygen = '/usr/bin/ssh-keygen';

const RUNBOOK = `id: trust-attack
title: Trust attack
version: 1
vars:
  FLAG: { env: FLAG_FILE }
  HOOK: { env: HOOK_URL, default: '' }
notify:
  - url: \${HOOK}
phases:
  - id: one
    title: One
    steps:
      - id: flaky
        kind: command
        title: Flaky
        run: [sh, -c, 'if [ -f "$0" ]; then echo ok; else touch "$0"; exit 3; fi', '\${FLAG}']
      - { id: signoff, kind: signoff, title: Sign off, statement: Done. }
`;

let dir: string;
let runbook: string;
let trust: string;
const key = (name: string) => join(dir, name);

function makeKey(name: string): void {
  execFileSync(sshKeygen, ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key(name)]);
}

function fingerprintOf(name: string): string {
  return execFileSync(sshKeygen, ['-l', '-f', `${key(name)}.pub`], { encoding: 'utf8' }).split(' ')[1];
}

/** alice's run: the step fails once (exit 3), passes on its second attempt, alice signs the phase off. */
async function aliceRun(env: Record<string, string>): Promise<void> {
  for (const expected of [1, 0]) {
    const r = cliAsync(['run', '--runbook', runbook, '--non-interactive', '--yes'], env);
    expect((await r.done).code).toBe(expected);
  }
}

function auditFile(stateDir: string): string {
  const runs = join(stateDir, 'runs');
  return join(
    runs,
    readdirSync(runs).find((f) => f.endsWith('.audit.jsonl'))!,
  );
}

/**
 * What mallory does with write access to the state folder: deletes the failed attempt's lines,
 * renumbers and re-chains the rest, rewrites the sign-off's `audit head:` to the new chain and
 * signs it again with `signWith` (ssh-keygen -Y sign), deletes the state and runs repair.
 */
async function rewrite(env: Record<string, string>, signWith: string): Promise<void> {
  const file = auditFile(env.WAYMARK_STATE_DIR);
  type Entry = { seq: number; prev: string; event: string; data?: Record<string, unknown> };
  const entries = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Entry);
  const failed = entries.findIndex((e) => e.event === 'step.finished' && e.data?.ok === false);
  const start = entries.map((e) => e.event).lastIndexOf('step.start', failed);
  const kept = entries.filter((_, i) => i < start || i > failed);
  expect(entries.length - kept.length).toBe(3);
  const removed = entries.length - kept.length;
  let prev = GENESIS;
  const lines: string[] = [];
  for (const [i, e] of kept.entries()) {
    const next: Entry = { ...e, seq: i + 1, prev };
    if (e.event === 'phase.signature') {
      const old = e.data as { auditHead: { seq: number }; message: string };
      const seq = old.auditHead.seq - removed;
      const head = { seq, hash: lineHash(lines[seq - 1]) };
      const message = old.message.replace(/^audit head: .*$/m, `audit head: ${head.seq} ${head.hash}`);
      writeFileSync(join(dir, 'msg'), message);
      rmSync(join(dir, 'msg.sig'), { force: true });
      execFileSync(sshKeygen, ['-Y', 'sign', '-q', '-f', key(signWith), '-n', 'waymark', join(dir, 'msg')]);
      const armored = readFileSync(join(dir, 'msg.sig'), 'utf8');
      next.data = { ...e.data, message, armored, keyFingerprint: fingerprintOf(signWith), auditHead: head };
    }
    const line = JSON.stringify(next);
    lines.push(line);
    prev = lineHash(line);
  }
  writeFileSync(file, lines.map((l) => l + '\n').join(''));
  rmSync(file.replace(/\.audit\.jsonl$/, '.json'));
  const r = await call(['repair', '--runbook', runbook], env);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

/** The command line, run beside this process's webhook (a blocking spawn would keep it from answering). */
const call = (args: string[], env: Record<string, string> = {}) => cliAsync(args, env).done;

async function report(env: Record<string, string>, format: string) {
  const out = join(tempDir(), `one.${format}`);
  const r = await call(['report', '--runbook', runbook, '--phase', 'one', '--format', format, '--out', out], env);
  return { ...r, file: out };
}

let hook: Server;
let received: string;

beforeAll(async () => {
  dir = tempDir();
  runbook = join(dir, 'one.yaml');
  writeFileSync(runbook, RUNBOOK);
  makeKey('alice');
  makeKey('mallory');
  trust = join(dir, 'allowed_signers');
  writeFileSync(trust, `alice namespaces="waymark" ${readFileSync(`${key('alice')}.pub`, 'utf8')}`);
  // the team's webhook receiver: it keeps each message as a JSON line, as a chat log would
  received = join(dir, 'received.jsonl');
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      appendFileSync(received, JSON.stringify(JSON.parse(body)) + '\n');
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
});

afterAll(() => new Promise((r) => hook.close(r)));

function aliceEnv(): Record<string, string> {
  return {
    WAYMARK_STATE_DIR: tempDir(),
    WAYMARK_OPERATOR: 'alice',
    WAYMARK_SIGNING_KEY: key('alice'),
    FLAG_FILE: join(tempDir(), 'flag'),
    HOOK_URL: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`,
  };
}

const audit = (env: Record<string, string>, ...more: string[]) =>
  call(['audit', '--runbook', runbook, '--verify', ...more], env);
const verify = (file: string) => call(['verify', file, '--allowed-signers', trust]);

describe.skipIf(!existsSync(sshKeygen))('a history rewritten and signed again', () => {
  it("mallory's key: audit --verify names it as not trusted for alice, and alice's report does not verify", async () => {
    const env = aliceEnv();
    await aliceRun(env);
    const before = await report(env, 'md');
    expect(before.code).toBe(0);
    expect(readFileSync(before.file, 'utf8')).toMatch(/\| Failed attempts \| 1 \|/);
    expect((await verify(before.file)).stdout).toMatch(/^intact and TRUSTED/);
    expect((await audit(env, '--allowed-signers', trust)).code).toBe(0);

    await rewrite(env, 'mallory');
    // the chain is whole again: only the trust file can tell
    const a = await audit(env, '--allowed-signers', trust);
    expect(a.stdout).toMatch(/audit log intact/);
    expect(a.stdout).toContain(
      `sign-off of one (line 9) signed by alice (${fingerprintOf('mallory')}): NOT TRUSTED: key ${fingerprintOf('mallory')} is not trusted for "alice"`,
    );
    expect(a.code).toBe(1);
    // without a trust file the chain is checked and the output says it proves nothing about who signed
    const bare = await audit(env);
    expect(bare.stdout).toMatch(/NO TRUST FILE: the chain is whole, but nothing here proves who signed/);
    expect(bare.code).toBe(3);

    // alice writes the report from that run later: it is written, marked, and exits 1 with a sentence
    for (const format of ['md', 'html', 'json']) {
      const after = await call(
        ['report', '--runbook', runbook, '--phase', 'one', '--format', format, '--allowed-signers', trust],
        env,
      );
      expect(after.code).toBe(1);
      expect(after.stderr).toMatch(/the report is marked UNTRUSTED SIGN-OFF/);
      const file = after.stdout.trim();
      const text = readFileSync(file, 'utf8');
      if (format === 'json') {
        const { body } = JSON.parse(text) as {
          body: { signoffProofs: { checked: string }; phases: Array<{ signoffs: Array<{ untrusted?: string }> }> };
        };
        expect(body.signoffProofs.checked).toBe('untrusted');
        expect(body.phases[0].signoffs[0].untrusted).toMatch(/is not trusted for "alice"/);
      } else expect(text).toContain('UNTRUSTED SIGN-OFF');
      if (format === 'md') {
        expect(text).toMatch(/\| Failed attempts \| 0 \|/);
        expect(text).toMatch(/^> \*\*UNTRUSTED SIGN-OFF\*\*/);
      }
      const v = await verify(file);
      expect(v.code).toBe(1);
      expect(v.stdout).not.toMatch(/^intact and TRUSTED/m);
      expect(v.stdout).toMatch(/intact, but NOT TRUSTED: .* signed by alice with key .* \(trusted\)/);
      expect(v.stdout).toContain(
        `sign-off of one by alice: NOT TRUSTED — key ${fingerprintOf('mallory')} is not trusted for "alice"`,
      );
    }
    // even a report written without the trust file is caught by the reader's: the proof travels with it
    const unchecked = await report(env, 'html');
    expect(unchecked.code).toBe(0);
    expect((await verify(unchecked.file)).code).toBe(1);
  });

  it("alice's own key: only the witness catches it — REWRITTEN, naming where the history forks", async () => {
    const env = aliceEnv();
    rmSync(received, { force: true });
    await aliceRun(env);
    expect((await report(env, 'md')).code).toBe(0);
    // the webhook heard the sign-off and the report, each with its chain head and key
    const messages = readFileSync(received, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(messages.map((m) => m.event)).toEqual(['signoff', 'report']);
    expect(messages[0].text).toMatch(/with key SHA256:\S+ · run \w{8} · audit head 12 sha256:[0-9a-f]{64}$/);
    expect(messages[0]).toMatchObject({ key: fingerprintOf('alice'), signed: { head: { seq: 11 } } });
    const ok = await audit(env, '--allowed-signers', trust, '--witness', received);
    expect(ok.stdout).toMatch(/witness .*: the log holds all 4 chain head\(s\) it keeps/);
    expect(ok.code).toBe(0);
    const original = join(tempDir(), 'copy.jsonl');
    writeFileSync(original, readFileSync(auditFile(env.WAYMARK_STATE_DIR)));

    await rewrite(env, 'alice');
    // every signature is alice's, by her trusted key: the trust file cannot tell
    expect((await audit(env, '--allowed-signers', trust)).code).toBe(0);
    const w = await audit(env, '--allowed-signers', trust, '--witness', received);
    expect(w.code).toBe(1);
    expect(w.stdout).toMatch(
      /REWRITTEN: the witness .*received\.jsonl:1 holds line 11 as sha256:[0-9a-f]{64}; the log's line 11 is not the line the witness holds\./,
    );
    expect(w.stdout).toMatch(/the history forks at or before line 11/);
    // a head pasted from the chat message works as well as the stored JSON
    const pasted = join(tempDir(), 'chat.txt');
    writeFileSync(pasted, `[02:14] waymark: ${String(messages[0].text)}\n`);
    const p = await audit(env, '--witness', pasted);
    expect(p.code).toBe(1);
    expect(p.stdout).toMatch(/REWRITTEN: the witness .*chat\.txt:1 holds line 12/);
    // a copy of the log taken before is a witness of every line: the first line that differs is named
    const c = await audit(env, '--witness', original);
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/REWRITTEN: the witness .*copy\.jsonl:3 holds line 3 /);
    expect(c.stdout).toMatch(/the history forks after line 2 and at or before line 3/);
  });
});

describe.skipIf(!existsSync(sshKeygen))('ssh-keygen agrees with waymark verify on an embedded sign-off', () => {
  type Proof = { message: string; armored: string };
  const proofOf = (file: string) =>
    (JSON.parse(readFileSync(file, 'utf8')) as { body: { phases: Array<{ signoffs: Array<{ proof: Proof }> }> } }).body
      .phases[0].signoffs[0].proof;
  const opensshSays = (proof: Proof) => {
    const d = tempDir();
    writeFileSync(join(d, 'signoff.sig'), proof.armored);
    const args = ['-Y', 'verify', '-f', trust, '-I', 'alice', '-n', 'waymark', '-s', join(d, 'signoff.sig')];
    return spawnSync(sshKeygen, args, { input: proof.message }).status;
  };

  it("good: both accept; forged by another key under alice's name: both refuse", async () => {
    const env = aliceEnv();
    await aliceRun(env);
    const good = await report(env, 'json');
    expect(good.code).toBe(0);
    expect(opensshSays(proofOf(good.file))).toBe(0);
    expect((await verify(good.file)).code).toBe(0);

    await rewrite(env, 'mallory');
    const forged = await report(env, 'json');
    expect(opensshSays(proofOf(forged.file))).not.toBe(0);
    expect((await verify(forged.file)).code).toBe(1);
  });
});

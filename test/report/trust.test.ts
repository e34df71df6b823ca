// What a signed report proves, checked the way an auditor would: against an allowed_signers
// file, with Waymark and with OpenSSH's own `ssh-keygen -Y verify`, which must agree.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { writeOpenSshKey } from '../../src/state/ssh-keys.js';
import { canonicalJson } from '../../src/checks/normalize.js';
import { lineHash } from '../../src/state/audit.js';

const sshKeygen = ['/usr/bin/ssh-keygen'].find((p) => existsSync(p));
const SMOKE = ['--runbook', 'examples/smoke.yaml'];
let env: Record<string, string>;
let out: string;
let trust: string;
const files: Record<string, string> = {};

beforeAll(() => {
  env = {
    WAYMARK_STATE_DIR: tempDir(),
    SMOKE_WORK_DIR: tempDir(),
    SMOKE_STEP_SECONDS: '0',
    WAYMARK_OPERATOR: 'Alice Auditor',
  };
  expect(cli(['run', ...SMOKE, '--non-interactive', '--yes'], env).code).toBe(0);
  out = tempDir();
  for (const format of ['md', 'html', 'json']) {
    const r = cli(
      ['report', ...SMOKE, '--phase', 'prepare', '--format', format, '--out', join(out, `prepare.${format}`)],
      env,
    );
    expect(r.code).toBe(0);
    files[format] = r.stdout.trim();
  }
  trust = join(out, 'allowed_signers');
  const key = cli(['key'], env);
  expect(key.stdout).toMatch(/^"Alice Auditor" namespaces="waymark" ssh-ed25519 AAAA/);
  writeFileSync(trust, key.stdout);
});

/** The signed bytes and the signature of a Markdown or HTML report, split as the README tells an auditor to. */
function split(file: string): { message: string; sig: string } {
  const text = readFileSync(file, 'utf8');
  const at = text.lastIndexOf('<!-- waymark-sshsig\n');
  return { message: text.slice(0, at), sig: text.slice(at + '<!-- waymark-sshsig\n'.length).replace(/-->\n$/, '') };
}

function opensshVerdict(file: string, identity: string, allowedSigners: string): boolean {
  const { message, sig } = split(file);
  const dir = tempDir();
  writeFileSync(join(dir, 'report.sig'), sig);
  const r = spawnSync(
    sshKeygen!,
    ['-Y', 'verify', '-f', allowedSigners, '-I', identity, '-n', 'waymark', '-s', join(dir, 'report.sig')],
    { input: message },
  );
  return r.status === 0;
}

/** A forger's key and an ssh-keygen-made signature over altered content, under the operator's name. */
function forge(file: string, name: string): string {
  const dir = tempDir();
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'forger'), writeOpenSshKey(privateKey, 'forger'), { mode: 0o600 });
  const message = split(file).message.replace('The work folder is ready.', 'The work folder is NOT ready.');
  writeFileSync(join(dir, 'msg'), message);
  execFileSync(sshKeygen!, ['-Y', 'sign', '-f', join(dir, 'forger'), '-n', 'waymark', join(dir, 'msg')], {
    stdio: 'ignore',
  });
  const forged = join(dir, name);
  writeFileSync(forged, `${message}<!-- waymark-sshsig\n${readFileSync(join(dir, 'msg.sig'), 'utf8')}-->\n`);
  return forged;
}

describe('waymark verify against trusted keys', () => {
  it('an intact report signed by a listed key is TRUSTED (exit 0), in every format', () => {
    for (const f of Object.values(files)) {
      const r = cli(['verify', f, '--allowed-signers', trust]);
      expect(r.stdout).toMatch(/^intact and TRUSTED: .* signed by Alice Auditor with key SHA256:/);
      expect(r.code).toBe(0);
    }
  });
  it('without a trust file it says anyone could have produced the report, exit 3', () => {
    const r = cli(['verify', files.html], {}, tempDir());
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/NO TRUST FILE/);
    expect(r.stdout).toMatch(/anyone could have produced this report/);
  });
  it('finds .waymark/allowed_signers beside the runbook by itself', () => {
    const dir = tempDir();
    execFileSync('mkdir', ['-p', join(dir, '.waymark')]);
    writeFileSync(join(dir, '.waymark', 'allowed_signers'), readFileSync(trust));
    expect(cli(['verify', files.md], {}, dir).code).toBe(0);
  });
  it('content altered and re-signed with a new key under the same name: signature valid, signer NOT TRUSTED, exit 1', () => {
    for (const f of [files.md, files.html]) {
      const forged = forge(f, `forged.${f.split('.').pop()}`);
      const r = cli(['verify', forged, '--allowed-signers', trust]);
      expect(r.stdout).toMatch(/signature valid, signer NOT TRUSTED/);
      expect(r.code).toBe(1);
    }
  });
  it('a key trusted for someone else does not vouch for this name', () => {
    const other = join(tempDir(), 'allowed');
    writeFileSync(other, readFileSync(trust, 'utf8').replace('"Alice Auditor"', 'mallory@example.com'));
    const r = cli(['verify', files.md, '--allowed-signers', other]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/lists that key for mallory@example.com, not "Alice Auditor"/);
  });
  it('a change inside the signature block (spacing, padding bits) is ALTERED', () => {
    const text = readFileSync(files.md, 'utf8');
    const at = text.lastIndexOf('-----END SSH SIGNATURE-----');
    const f = join(tempDir(), 'ws.md');
    writeFileSync(f, text.slice(0, at) + ' ' + text.slice(at));
    expect(cli(['verify', f, '--allowed-signers', trust]).stdout).toMatch(/ALTERED/);
    const j = JSON.parse(readFileSync(files.json, 'utf8'));
    j.body.phases[0].statement = 'changed';
    writeFileSync(f, JSON.stringify(j, null, 2) + '\n');
    const r = cli(['verify', f, '--allowed-signers', trust]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ALTERED/);
  });
  it('damaged content is ALTERED with what could not be read, never a crash', () => {
    const f = join(tempDir(), 'bad.json');
    writeFileSync(f, readFileSync(files.json, 'utf8').replace('"steps"', '"stepz"').slice(0, 500));
    const r = cli(['verify', f, '--allowed-signers', trust]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ALTERED or invalid/);
    expect(r.stderr).toBe('');
  });
});

describe.skipIf(!sshKeygen)('OpenSSH agrees with waymark verify', () => {
  it('good → both accept; altered → both refuse; untrusted → both refuse', () => {
    for (const f of [files.md, files.html]) {
      expect(opensshVerdict(f, 'Alice Auditor', trust)).toBe(true);
      expect(cli(['verify', f, '--allowed-signers', trust]).code).toBe(0);

      const altered = join(tempDir(), `altered.${f.split('.').pop()}`);
      writeFileSync(
        altered,
        readFileSync(f, 'utf8').replace('The work folder is ready.', 'The work folder is NOT ready.'),
      );
      expect(opensshVerdict(altered, 'Alice Auditor', trust)).toBe(false);
      expect(cli(['verify', altered, '--allowed-signers', trust]).code).toBe(1);

      const forged = forge(f, `forged.${f.split('.').pop()}`);
      expect(opensshVerdict(forged, 'Alice Auditor', trust)).toBe(false);
      expect(cli(['verify', forged, '--allowed-signers', trust]).code).toBe(1);
    }
  });
});

describe('old reports (waymark-report/1) still open', () => {
  it('are read, said to be of the old format, and checked against the trust file by their key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const body = { format: 'waymark-report/1', title: 'Old report', phases: [] };
    const data = Buffer.from(canonicalJson({ body, operator: 'olga' }));
    const { createHash } = require('node:crypto') as typeof import('node:crypto');
    const signature = {
      algorithm: 'ed25519',
      operator: 'olga',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      keyFingerprint: 'x',
      digest: createHash('sha256').update(canonicalJson(body)).digest('hex'),
      signature: sign(null, data, privateKey).toString('base64'),
    };
    const f = join(tempDir(), 'old.json');
    writeFileSync(f, JSON.stringify({ body, signature }, null, 2));
    const r = cli(['verify', f, '--allowed-signers', trust]);
    expect(r.stdout).toMatch(/note: old report format \(waymark-report\/1\)/);
    expect(r.stdout).toMatch(/signer NOT TRUSTED/);
    expect(r.code).toBe(1);
    const jwk = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })).export({ format: 'jwk' });
    const blob = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 32]),
      Buffer.from(jwk.x!, 'base64url'),
    ]);
    const olga = join(tempDir(), 'allowed');
    writeFileSync(olga, `olga ssh-ed25519 ${blob.toString('base64')}\n`);
    expect(cli(['verify', f, '--allowed-signers', olga]).code).toBe(0);
  });
});

describe('reports signed before sign-off proofs were embedded', () => {
  it('still verify by their own signer, and say their sign-offs are not checked', async () => {
    const { render, attach } = await import('../../src/report/write.js');
    const { operatorKey } = await import('../../src/state/ssh-keys.js');
    const { signMessage } = await import('../../src/state/sshsig.js');
    // this session's JSON report as an older Waymark wrote it: no proofs, no word about them
    const doc = JSON.parse(readFileSync(files.json, 'utf8'));
    const { sshsig: _sig, format: _format, ...signed } = doc;
    delete signed.body.signoffProofs;
    for (const p of signed.body.phases) for (const x of p.signoffs) delete x.proof;
    expect(JSON.stringify(signed)).not.toContain('BEGIN SSH SIGNATURE');
    const text = render(signed, 'json');
    const key = operatorKey(env.WAYMARK_STATE_DIR, 'Alice Auditor');
    const f = join(tempDir(), 'before-proofs.json');
    writeFileSync(f, attach(text, await signMessage(Buffer.from(text), key.signer), 'json'));
    const r = cli(['verify', f, '--allowed-signers', trust]);
    expect(r.stdout).toMatch(/note: this report was signed before sign-off proofs were embedded/);
    expect(r.stdout).toMatch(/intact and TRUSTED/);
    expect(r.code).toBe(0);
  });
});

describe('sign-offs sign the audit chain head', () => {
  it('audit --verify checks each sign-off; a whole rewritten audit log breaks them', () => {
    const ok = cli(['audit', ...SMOKE, '--verify', '--allowed-signers', trust], env);
    expect(ok.code).toBe(0); // trusted: the trust file lists Alice Auditor's key
    expect(ok.stdout).toMatch(/sign-off of prepare signed by Alice Auditor \(SHA256:.*\): verified against this log/);
    // rewrite an early line and re-chain every line after it: the chain alone still verifies
    const dir = join(env.WAYMARK_STATE_DIR, 'runs');
    const file = join(
      dir,
      readdirSync(dir).find((f) => f.endsWith('.audit.jsonl'))!,
    );
    const original = readFileSync(file, 'utf8');
    const lines = original
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    lines[1].operator = 'someone else';
    let prev = '0'.repeat(64);
    const rewritten = lines.map((e) => {
      const line = JSON.stringify({ ...e, prev });
      prev = lineHash(line);
      return line;
    });
    writeFileSync(file, rewritten.join('\n') + '\n');
    // the state names the last line it includes: that line is no longer there
    const cut = cli(['audit', ...SMOKE, '--verify'], env);
    expect(cut.stdout).toMatch(
      /this is not the line the state recorded as the last it includes: the log was rewritten/,
    );
    // an attacker who rewrites the state's record of it too still cannot re-sign the sign-off
    const stateFile = file.replace(/\.audit\.jsonl$/, '.json');
    const originalState = readFileSync(stateFile, 'utf8');
    const st = JSON.parse(originalState);
    st.audit.hash = lineHash(rewritten[st.audit.seq - 1]);
    writeFileSync(stateFile, JSON.stringify(st));
    const r = cli(['audit', ...SMOKE, '--verify'], env);
    expect(r.stdout).toMatch(/audit log intact/);
    expect(r.stdout).toMatch(
      /sign-off of prepare \(line \d+\) BROKEN: the audit log no longer has the chain head this sign-off signed/,
    );
    expect(r.code).toBe(1);
    writeFileSync(file, original);
    writeFileSync(stateFile, originalState);
  });
});

describe('rehearsal runs', () => {
  it('a run started on a moved clock is a rehearsal for its whole life, and says so', () => {
    const e = { ...env, WAYMARK_STATE_DIR: tempDir(), WAYMARK_CLOCK_OFFSET: '8d' };
    const r = cli(['run', ...SMOKE, '--non-interactive', '--yes', '--phase', 'prepare'], e);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/REHEARSAL · clock \+8d/);
    const status = JSON.parse(cli(['status', ...SMOKE, '--json'], e).stdout);
    expect(status).toMatchObject({ rehearsal: true, clockOffset: '8d' });
    // every audit entry keeps the real time and the rehearsal time
    const dir = join(e.WAYMARK_STATE_DIR, 'runs');
    const audit = readFileSync(
      join(
        dir,
        readdirSync(dir).find((f) => f.endsWith('.audit.jsonl'))!,
      ),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const a of audit) expect(Date.parse(a.clock) - Date.parse(a.at)).toBeGreaterThan(8 * 86_400_000 - 60_000);
    // resumed without the variable it does not become real: it keeps its own moved clock
    const { WAYMARK_CLOCK_OFFSET: _, ...plainEnv } = e;
    const again = cli(['run', ...SMOKE, '--non-interactive', '--yes'], plainEnv);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/REHEARSAL · clock \+8d/);
    const f = join(tempDir(), 'r.md');
    expect(cli(['report', ...SMOKE, '--phase', 'prepare', '--format', 'md', '--out', f], e).code).toBe(0);
    const md = readFileSync(f, 'utf8');
    expect(md).toMatch(/^> \*\*REHEARSAL\*\* · clock \+8d/);
    expect(md).toMatch(/\| Rehearsal \| YES — clock moved \+8d/);
    expect(md).toMatch(/\| Generated \| \S+ \(real\) · \S+ \(rehearsal clock \+8d\) \|/);
  });
  it('a real run refuses a moved clock and says how to rehearse', () => {
    const r = cli(['run', ...SMOKE, '--non-interactive', '--yes'], { ...env, WAYMARK_CLOCK_OFFSET: '24h' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /this run is real and WAYMARK_CLOCK_OFFSET=24h would move its clock: a rehearsal is a run of its own/,
    );
  });
});

describe('reports tell the whole story', () => {
  it('every attempt, the verdict block, and the evidence that failed a criterion', () => {
    const e = { ...env, WAYMARK_STATE_DIR: tempDir(), SMOKE_WORK_DIR: '/proc/no-such-dir/x' };
    // the first attempt fails (cannot write there), the second passes
    expect(cli(['run', ...SMOKE, '--non-interactive', '--yes', '--phase', 'prepare'], e).code).toBe(1);
    const e2 = { ...e, SMOKE_WORK_DIR: tempDir() };
    expect(cli(['run', ...SMOKE, '--non-interactive', '--yes'], e2).stderr).toBe('');
    const f = join(tempDir(), 'all.json');
    expect(cli(['report', ...SMOKE, '--all', '--format', 'json', '--out', f], e2).code).toBe(0);
    const { body } = JSON.parse(readFileSync(f, 'utf8'));
    const make = body.phases[0].steps.find((s: { id: string }) => s.id === 'make-dir');
    expect(make.attempts.map((a: { status: string }) => a.status)).toEqual(['failed', 'passed']);
    expect(body.verdict).toMatchObject({ retries: expect.any(Number), failedAttempts: 1, rehearsal: false });
    expect(body.verdict.retries).toBeGreaterThanOrEqual(1);
  });
});

// Bad CLI input and bad environments: each gets one sentence naming the file and what to do,
// exit 2, no stack trace, no raw error code (ENOTDIR, EACCES, error:1E08010C…).
import { describe, it, expect, beforeAll } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { BIN, cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const SMOKE = resolve('examples/smoke.yaml');
let dir: string;
let smokeState: string;

beforeAll(() => {
  dir = tempDir();
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'a-file'), 'not a folder\n');
  writeFileSync(
    join(dir, 'bad-key'),
    '-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n-----END OPENSSH PRIVATE KEY-----\n',
  );
  writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));
  mkdirSync(join(dir, 'garbage-state', 'runs'), { recursive: true });
  smokeState = join(dir, 'garbage-state');
  // whatever name the run gets, every file in runs/ is garbage: take the name from a status
  const name = /state in (.*\.json)/.exec(cli(['status', '--runbook', SMOKE, '--state-dir', smokeState]).stdout)![1];
  writeFileSync(name, '{garbage');
});

type Case = [name: string, args: () => string[], message: RegExp];
const cases: Case[] = [
  [
    'a file given as the state folder',
    () => ['run', '--non-interactive', '--runbook', SMOKE, '--state-dir', join(dir, 'a-file')],
    /cannot create the folder .*a-file\/runs: .*a-file is a file, not a folder\n {2}hint: give a folder/,
  ],
  [
    'a state folder below a file',
    () => ['run', '--non-interactive', '--runbook', SMOKE, '--state-dir', join(dir, 'a-file', 'x')],
    /a-file is a file, not a folder/,
  ],
  [
    'a damaged signing key',
    () => ['key', '--key', join(dir, 'bad-key')],
    /the signing key .*bad-key is damaged or not a private key: replace it, or name another with --key/,
  ],
  [
    'a state file of garbage',
    () => ['status', '--runbook', SMOKE, '--state-dir', smokeState],
    /the state file .* is not readable JSON .* Rebuild it from the audit log with: waymark repair/,
  ],
  [
    'a missing runbook',
    () => ['status', '--runbook', join(dir, 'nope.yaml')],
    /nope\.yaml:1:1: cannot read the runbook: no such file\n {2}hint: check the path/,
  ],
  ['a folder as the runbook', () => ['validate', dir], /:1:1: is a directory, not a runbook file/],
  [
    'a runbook that is not text',
    () => ['validate', join(dir, 'binary.yaml')],
    /binary\.yaml:1:1: file is not valid UTF-8/,
  ],
  ['an unknown flag', () => ['run', '--bogus'], /^waymark: unknown option --bogus/],
  ['an unknown command', () => ['frobnicate'], /^waymark: unknown command "frobnicate"; run waymark --help/],
  ['a flag without its value', () => ['status', '--state-dir'], /^waymark: --state-dir needs a value/],
  [
    'a bad report format',
    () => ['report', '--format', 'bogus', '--runbook', SMOKE, '--state-dir', join(dir, 's1')],
    /--format must be md, html or json, not "bogus"/,
  ],
  [
    'an unknown phase',
    () => ['run', '--non-interactive', '--phase', 'nope', '--runbook', SMOKE, '--state-dir', join(dir, 's2')],
    /unknown phase "nope"; phases: prepare, finish/,
  ],
  [
    'an unknown check',
    () => ['check', 'nope', '--runbook', SMOKE, '--state-dir', join(dir, 's3')],
    /unknown check "nope"; waymark check --list shows them/,
  ],
  [
    'verifying a report that is not there',
    () => ['verify', join(dir, 'none.html')],
    /cannot read the report .*none\.html: no such file/,
  ],
  [
    'verifying the audit log of no run',
    () => ['audit', '--verify', '--runbook', SMOKE, '--state-dir', join(dir, 's4')],
    /no run of "Smoke test runbook" in .*s4: no audit log to verify; check --state-dir and --runbook/,
  ],
  ['an unknown demo subcommand', () => ['demo', 'bogus'], /waymark demo bogus: unknown; use one of status/],
];

const clean = (text: string) => {
  expect(text).not.toMatch(/\n\s+at \S+ \(|\n\s+at file:/); // a stack frame
  expect(text).not.toMatch(/\bE[A-Z]{3,}\b(?!:? ?\w+ing)/); // ENOTDIR, EACCES, ENOENT…
  expect(text).not.toMatch(/error:[0-9A-F]{8}|routines::/); // an OpenSSL code
  expect(text).not.toMatch(/^(Type|Reference|Range)?Error:/m);
};

describe('every bad input or environment is one sentence and exit 2', () => {
  it.each(cases)('%s', (_name, args, message) => {
    const r = cli(args(), { WAYMARK_STATE_DIR: join(dir, 'default-state') });
    const said = (r.stderr + r.stdout).trim();
    expect(r.code, said).toBe(2);
    expect(said).toMatch(message);
    clean(said);
  });

  // as root, only another user meets a permission: nobody, when the clone is readable by them
  const nobodyReads =
    process.getuid?.() === 0 &&
    spawnSync('test', ['-r', BIN, '-a', '-r', SMOKE], { uid: 65534, gid: 65534 }).status === 0;
  it.runIf(nobodyReads)('a state folder the user may not enter (run as nobody)', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o700 });
    const r = spawnSync(
      process.execPath,
      [BIN, 'run', '--non-interactive', '--runbook', SMOKE, '--state-dir', locked],
      {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
        env: { ...process.env, HOME: '/tmp', NO_COLOR: '1' },
        cwd: '/tmp',
      },
    );
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^waymark: cannot create the folder .*locked\/runs: permission denied\n {2}hint: use a folder you may write to/,
    );
    clean(r.stderr);
    // a reader says the same, not "No run yet"
    mkdirSync(join(locked, 'runs'));
    const status = spawnSync(process.execPath, [BIN, 'status', '--runbook', SMOKE, '--state-dir', locked], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      env: { ...process.env, HOME: '/tmp', NO_COLOR: '1' },
      cwd: '/tmp',
    });
    expect(status.stdout).not.toMatch(/No run yet/);
    expect(status.stderr).toMatch(/^waymark: cannot list the folder .*locked\/runs: permission denied/);
    expect(status.status).toBe(2);
  });

  it.runIf(process.getuid?.() !== 0)('a state folder the user may not enter', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o000 });
    const r = cli(['run', '--non-interactive', '--runbook', SMOKE, '--state-dir', locked]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/permission denied/);
    clean(r.stderr);
  });
});

describe('file-system errors as sentences, whatever the machine lets a test provoke', () => {
  const err = (code: string, syscall: string, path: string) =>
    Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, syscall, path });
  it.each([
    ['EACCES', 'mkdir', /^cannot create the folder \/x\/runs: permission denied$/, 2],
    ['EPERM', 'open', /^cannot open \/x\/runs: permission denied$/, 2],
    ['EROFS', 'rename', /^cannot replace \/x\/runs: the file system is read-only$/, 2],
    ['ENOSPC', 'write', /^cannot write \/x\/runs: the disk is full$/, 1],
    ['EISDIR', 'open', /^cannot open \/x\/runs: it is a folder, not a file$/, 2],
  ] as const)('%s', async (code, syscall, message, exit) => {
    const { describeSystemError } = await import('../../src/commands/system-error.js');
    const d = describeSystemError(err(code, syscall, '/x/runs'))!;
    expect(d.message).toMatch(message);
    expect(d.exitCode).toBe(exit);
    expect(d.hint).toMatch(/\w/);
    expect(`${d.message} ${d.hint}`).not.toMatch(/\bE[A-Z]{3,}\b/);
  });
});

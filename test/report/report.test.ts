import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { verifyReportFile } from '../../src/report/verify.js';
import { readAudit } from '../../src/state/audit.js';

const SECRET = 'smoke-secret-token-123';
let env: Record<string, string>;
let trust: string;
const files: Record<string, string> = {};

beforeAll(() => {
  env = {
    WAYMARK_STATE_DIR: tempDir(),
    SMOKE_WORK_DIR: tempDir(),
    SMOKE_STEP_SECONDS: '0',
    WAYMARK_OPERATOR: 'auditor-test',
  };
  expect(cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes'], env).code).toBe(0);
  const out = tempDir();
  for (const format of ['md', 'html', 'json']) {
    const r = cli(
      [
        'report',
        '--runbook',
        'examples/smoke.yaml',
        '--phase',
        'prepare',
        '--format',
        format,
        '--out',
        join(out, `prepare.${format}`),
      ],
      env,
    );
    expect(r.code).toBe(0);
    files[format] = r.stdout.trim();
  }
  const all = cli(
    ['report', '--runbook', 'examples/smoke.yaml', '--all', '--format', 'html', '--out', join(out, 'all.html')],
    env,
  );
  expect(all.code).toBe(0);
  files.all = all.stdout.trim();
  // the operator's own key, listed as trusted
  trust = join(out, 'allowed_signers');
  writeFileSync(trust, cli(['key'], env).stdout);
});

describe('report content', () => {
  it('a command step shows the command as it ran, even after its vars changed', () => {
    const own = { ...env, WAYMARK_STATE_DIR: tempDir() };
    expect(
      cli(['run', '--runbook', 'examples/smoke.yaml', '--non-interactive', '--yes', '--phase', 'prepare'], own).code,
    ).toBe(0);
    const later = { ...own, SMOKE_WORK_DIR: tempDir() };
    const r = cli(
      [
        'report',
        '--runbook',
        'examples/smoke.yaml',
        '--phase',
        'prepare',
        '--format',
        'json',
        '--out',
        join(tempDir(), 'later.json'),
      ],
      later,
    );
    expect(r.code).toBe(0);
    const make = JSON.parse(readFileSync(r.stdout.trim(), 'utf8')).body.phases[0].steps.find(
      (s: { id: string }) => s.id === 'make-dir',
    );
    expect(make.action).toBe(`mkdir -p ${env.SMOKE_WORK_DIR}`);
  });
  it('the canonical JSON has what an auditor needs', () => {
    const { body, signer, sshsig } = JSON.parse(readFileSync(files.json, 'utf8'));
    expect(body.format).toBe('waymark-report/2');
    expect(body.runbook).toMatchObject({ id: 'smoke', version: '1' });
    expect(body.runbook.hash).toMatch(/^[0-9a-f]{64}$/);
    const p = body.phases[0];
    expect(p).toMatchObject({
      id: 'prepare',
      objective: 'Create the folder and a marker file',
      status: 'signed-off',
      signedOffBy: 'auditor-test',
      statement: 'The work folder is ready.',
    });
    expect(p.signoffs[0]).toMatchObject({
      kind: 'signed-off',
      by: 'auditor-test',
      keyFingerprint: expect.stringMatching(/^SHA256:/),
    });
    const write = p.steps.find((s: { id: string }) => s.id === 'slow-write');
    expect(write).toMatchObject({ status: 'passed', exitCode: 0, operator: 'auditor-test' });
    expect(write.action).toMatch(/^TOKEN=\*\*\* sh -c /);
    expect(write.outputTail).toContain('written with ***');
    const look = p.steps.find((s: { id: string }) => s.id === 'look');
    expect(look).toMatchObject({ status: 'passed', autoConfirmed: true });
    const marker = p.steps.find((s: { id: string }) => s.id === 'marker');
    expect(marker.check).toMatchObject({ id: 'marker-written', status: 'pass', thresholds: { bytes: '>= 1' } });
    expect(marker.check.evidence[0].columns).toEqual(['file', 'bytes', 'modified']);
    expect(p.gate).toEqual([
      {
        checkId: 'marker-written',
        status: 'passed',
        summary: expect.stringMatching(/marker\.txt/),
        runs: [expect.objectContaining({ status: 'pass' })],
      },
    ]);
    expect(signer).toMatchObject({ operator: 'auditor-test', identity: 'auditor-test' });
    expect(signer.publicKey).toMatch(/^ssh-ed25519 /);
    expect(sshsig).toMatch(/^-----BEGIN SSH SIGNATURE-----/);
  });
  it('Markdown and HTML show the steps, the checks, the sign-off block, the key and the SSH signature', () => {
    for (const f of [files.md, files.html]) {
      const t = readFileSync(f, 'utf8');
      for (const s of [
        'Prepare the work folder',
        'Write the marker slowly',
        'marker-written',
        'The work folder is ready.',
        'auditor-test',
        'BEGIN SSH SIGNATURE',
        'Audit log head',
      ])
        expect(t).toContain(s);
    }
    expect(readFileSync(files.html, 'utf8')).toMatch(/@page \{ size: A4/);
  });
  it('the final report lists every phase', () => {
    const t = readFileSync(files.all, 'utf8');
    expect(t).toContain('Smoke test runbook — migration report');
    expect(t).toContain('Prepare the work folder');
    expect(t).toContain('Finish');
  });
  it('the audit log records each report digest', () => {
    const auditFile = readdirSync(join(env.WAYMARK_STATE_DIR, 'runs')).find((f) => f.endsWith('.audit.jsonl'))!;
    const entries = readAudit(join(env.WAYMARK_STATE_DIR, 'runs', auditFile)).filter(
      (e) => e.event === 'report.written',
    );
    expect(entries).toHaveLength(4);
    const digest = createHash('sha256').update(readFileSync(files.json)).digest('hex');
    expect(entries.map((e) => (e.data as { digest: string }).digest)).toContain(digest);
    expect(cli(['audit', '--verify', '--runbook', 'examples/smoke.yaml'], env).code).toBe(3); // whole; 3: no trust file to say who signed
  });
  it('no secret appears in any format', () => {
    for (const f of Object.values(files)) expect(readFileSync(f, 'utf8')).not.toContain(SECRET);
  });
  it('a phase that is not signed off gets no phase report', () => {
    const e2 = { ...env, WAYMARK_STATE_DIR: tempDir() };
    const r = cli(['report', '--runbook', 'examples/smoke.yaml', '--phase', 'finish'], e2);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/is not signed off yet/);
  });
});

describe('waymark verify', () => {
  it('exits 0 for intact reports in every format', () => {
    for (const f of Object.values(files)) {
      const r = cli(['verify', f, '--allowed-signers', trust]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^intact and TRUSTED: .* signed by auditor-test with key SHA256:/);
    }
  });
  it('exits 1 after any single byte of the signed content changes, saying what does not match', () => {
    for (const format of ['md', 'html', 'json']) {
      const original = readFileSync(files[format]);
      // positions spread over the whole file: visible text, embedded content, signature
      const positions = Array.from({ length: 12 }, (_, i) => Math.floor(((i + 0.5) / 12) * original.length));
      for (const pos of positions) {
        const altered = Buffer.from(original);
        altered[pos] = altered[pos] === 0x41 ? 0x42 : 0x41;
        writeFileSync(files[format], altered);
        const v = verifyReportFile(files[format]);
        expect(v.intact, `${format} byte ${pos}`).toBe(false);
        expect(v.problems.length).toBeGreaterThan(0);
      }
      writeFileSync(files[format], original);
      expect(verifyReportFile(files[format]).intact).toBe(true);
    }
    const altered = readFileSync(files.html, 'utf8').replace(
      'The work folder is ready.',
      'The work folder is NOT ready.',
    );
    writeFileSync(files.html + '.altered.html', altered);
    const r = cli(['verify', files.html + '.altered.html']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ALTERED/);
    expect(r.stdout).toMatch(/the signed content was changed/);
  });
  it('a changed embedded content fails the signature', () => {
    const j = JSON.parse(readFileSync(files.json, 'utf8'));
    j.body.phases[0].signedOffBy = 'someone else';
    writeFileSync(files.json + '.forged.json', JSON.stringify(j, null, 2) + '\n');
    const v = verifyReportFile(files.json + '.forged.json');
    expect(v.intact).toBe(false);
    expect(v.problems.join('\n')).toMatch(/the signed content was changed/);
  });
  it('a file that is not a report is refused clearly', () => {
    const f = join(tempDir(), 'x.html');
    writeFileSync(f, '<html></html>');
    const r = cli(['verify', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no Waymark signature found/);
    expect(cli(['verify', '/no/such/file.html']).code).toBe(2);
  });
});

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((c) => existsSync(c));
describe('HTML in headless Chromium', () => {
  it.skipIf(!chromium)('renders to a PNG and a PDF without horizontal overflow on A4', () => {
    const out = join(tempDir(), 'render');
    const res = spawnSync(process.execPath, ['scripts/check-report-render.mjs', files.all, out], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(res.stdout).toMatch(/^ok: page \d+px wide in a 794px A4 viewport/);
    expect(res.status).toBe(0);
    expect(existsSync(`${out}.png`)).toBe(true);
    expect(existsSync(`${out}.pdf`)).toBe(true);
  });
});

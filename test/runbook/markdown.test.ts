// The Markdown runbook format: it reads into the same runbook a YAML file gives (one schema, one
// loader result), every directive is read as written, and every error points at the .md file's
// own line and column.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadRunbook, loadRunbookText } from '../../src/load/loader.js';
import { runbookToMarkdown } from '../../src/load/to-markdown.js';
import { InputError } from '../../src/runbook/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { cli } from '../helpers/cli.js';
import { createHash } from 'node:crypto';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The problems a Markdown text gives, as FILE:LINE:COL: message. */
function problems(text: string): string[] {
  try {
    loadRunbookText(text, '/tmp/x/bad.md', { env: {}, displayName: 'bad.md' });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
  return [];
}

const FRONT = '---\nid: t\ntitle: T\nversion: 1\n---\n';

describe('Markdown runbooks', () => {
  it("runbook.md is runbook.yaml: the same runbook in each environment, only the file's own hash differs", () => {
    for (const environment of ['staging', 'production']) {
      const yaml = loadRunbook('runbook.yaml', { env: {}, environment });
      const md = loadRunbook('runbook.md', { env: {}, environment });
      expect(md.runbook).toEqual(yaml.runbook);
      expect(md.vars).toEqual(yaml.vars);
      expect(md.file).toMatch(/runbook\.md$/);
      expect(md.hash).not.toBe(yaml.hash);
    }
  });

  it('every YAML runbook of the tests, written out as Markdown, reads back as the same runbook', () => {
    const dir = tempDir();
    const files = [
      'runbook.yaml',
      'examples/smoke.yaml',
      ...readdirSync('test/fixtures').map((f) => `test/fixtures/${f}`),
    ];
    let n = 0;
    for (const file of files.filter((f) => f.endsWith('.yaml'))) {
      const text = readFileSync(file, 'utf8');
      const environment =
        file === 'runbook.yaml' ? 'staging' : file.endsWith('environments.yaml') ? 'staging' : undefined;
      let yaml;
      try {
        yaml = loadRunbook(file, { env: {}, environment });
      } catch {
        continue; // a fixture that is broken on purpose
      }
      // RUNBOOK_DIR, and the paths made from it, are the folder each file is in
      const out = join(dir, `${n++}.md`);
      writeFileSync(out, runbookToMarkdown(parse(text) as Record<string, unknown>, text));
      const md = loadRunbook(out, { env: {}, environment });
      const norm = (x: unknown, d: string) => JSON.parse(JSON.stringify(x).split(d).join('DIR'));
      expect(norm(md.runbook, dir), file).toEqual(norm(yaml.runbook, resolve(dirname(file))));
    }
    expect(n).toBeGreaterThan(5);
  });

  it('reads every directive as written: headings, attributes, blocks, comments, procedures, fixes', () => {
    const rb = loadRunbook('test/fixtures/markdown.md', { env: {} }).runbook;
    // the front matter's title wins over the # heading; the prose under it is the description
    expect(rb.title).toBe('From the front matter');
    expect(rb.description).toBe("The runbook's description: a paragraph,\n\n- and a list.");
    const [prepare, finish] = rb.phases;
    expect(prepare).toMatchObject({
      id: 'prepare',
      title: 'Prepare',
      objective: 'What the phase is for.',
      gate: ['file-there', 'tables'],
      approvals: 2,
      when: 'Day 1',
      point_of_no_return: 'nothing yet',
    });
    const steps = Object.fromEntries(prepare.steps.map((s) => [s.id, s]));
    expect(prepare.steps.map((s) => `${s.id}:${s.kind}`)).toEqual([
      'mkdir:command',
      'write-a-file:command',
      'flags:edit-env',
      'tables-are-there:check',
      'file:check',
      'inline:command',
      'cap:command',
      'tell-the-team:manual',
      'sign-off:signoff',
    ]);
    expect(steps.mkdir).toMatchObject({
      title: 'Make the folder',
      instructions: 'The folder the rest works in.',
      run: 'mkdir -p /tmp/md-all && echo made',
      shell: true,
      timeout: '10s',
      expect: 'made',
    });
    // {argv}: the words as a shell reads them, no shell; a directive comment adds to the step above it
    expect(steps['write-a-file']).toMatchObject({
      run: ['touch', '/tmp/md-all/a b.txt', 'its'],
      destructive: true,
      confirm_word: 'WRITE',
      optional: true,
    });
    expect(steps.flags).toMatchObject({
      file: '/tmp/md-all/.env',
      set: { USE_POSTGRES: 'false', DUAL_WRITE_ENABLED: 'true' },
    });
    // a sql {check=…} block is a pg.query check, run by the step it is under
    expect(steps['tables-are-there']).toMatchObject({ check: 'tables' });
    expect(rb.checks.tables).toMatchObject({
      type: 'pg.query',
      title: 'Tables are there',
      connection: 'main',
      params: {
        sql: 'SELECT count(*)::int AS n FROM information_schema.tables',
        expect: [{ column: 'n', op: '=', value: 5 }],
      },
    });
    expect(steps.file).toMatchObject({ check: 'file-there' });
    expect(steps.inline).toMatchObject({ title: 'Runs as its own step', run: 'echo inline', timeout: '5s' });
    expect(steps.cap).toMatchObject({ capture: { value: 'value=(\\S+)' }, env: { X: '1' }, run: 'echo value=42' });
    expect(steps['tell-the-team']).toMatchObject({ instructions: 'Say in the channel that it started.' });
    expect(steps['sign-off']).toMatchObject({ statement: 'The folder and the file are there.' });
    expect(finish.steps).toMatchObject([
      { id: 'pause', kind: 'wait', duration: '1s', after: 'phase:prepare' },
      { id: 'sign', kind: 'signoff' },
    ]);
    expect(rb.rollback).toMatchObject([
      {
        id: 'undo',
        title: 'Remove the folder',
        destructive: true,
        confirm_word: 'REMOVE',
        steps: [
          { id: 'rm', kind: 'command', instructions: 'Everything this runbook made goes.', run: 'rm -rf /tmp/md-all' },
        ],
      },
    ]);
    expect(rb.troubleshooting).toMatchObject([
      {
        id: 'no-folder',
        symptom: 'the folder cannot be made',
        description: 'The disk may be full.',
        diagnostics: [{ id: 'df', kind: 'command', run: 'df -h /tmp/md-all' }],
        fixes: ['Free some space', 'Choose another WORK'],
      },
    ]);
  });

  it('every error points at the Markdown line and column it is about', () => {
    expect(problems('# T\n\n### A step\n\ntext\n')).toEqual([
      expect.stringMatching(/^3:1: the step "A step" is under no ## heading/),
    ]);
    expect(problems(`${FRONT}## P {#p gate=a,b oops="x}\n\n### S\n`)).toEqual([
      expect.stringMatching(/^6:7: attributes: cannot read/),
    ]);
    expect(problems(`${FRONT}## P\n\n### S\n\n\`\`\`sh\necho 1\n\`\`\`\n\n\`\`\`sh\necho 2\n\`\`\`\n`)).toEqual([
      expect.stringMatching(/^14:1: the step "S" already runs a block/),
    ]);
    expect(problems('---\nid: t\ntitle: [\n---\n## P\n')[0]).toMatch(/^3:\d+: front matter: /);
    expect(problems('---\n- a\n---\n## P\n')).toEqual([
      expect.stringMatching(/^2:1: the front matter must be a YAML mapping/),
    ]);
    // the schema's and the cross-checks' complaints land on the attribute that caused them
    expect(problems(`${FRONT}## P {#p}\n\n### S {#s colour=red}\n`)).toEqual([
      expect.stringMatching(/^8:11: phases.0.steps.0: unknown field "colour"/),
    ]);
    expect(problems(`${FRONT}## P {#p gate=nope}\n\n### S\n`)).toEqual([
      expect.stringMatching(/^6:10: unknown check "nope"/),
    ]);
    expect(problems(`${FRONT}## P {#p}\n\n### S {#s check=gone}\n`)).toEqual([
      expect.stringMatching(/^8:11: .*"gone"/),
    ]);
    expect(
      problems(
        `${FRONT}## P\n\n### A\n\n\`\`\`sql {check=c}\nSELECT 1\n\`\`\`\n\n### B\n\n\`\`\`sql {check=c}\nSELECT 2\n\`\`\`\n`,
      ),
    ).toEqual([expect.stringMatching(/^16:\d+: check "c" is defined twice/)]);
    expect(problems(`${FRONT}## P\n\n### S\n\n\`\`\`yaml {waymark}\nenv: [\n\`\`\`\n`)[0]).toMatch(
      /^11:\d+: waymark block: /,
    );
    expect(problems(`${FRONT}<!-- waymark: gate=a -->\n## P\n\n### S\n`)).toEqual([
      expect.stringMatching(/^6:1: a waymark directive belongs under the ## or ### heading it is about/),
    ]);
    expect(problems(`${FRONT}## P\n\n### S\n\n\`\`\`sh {argv}\necho 'open\n\`\`\`\n`)).toEqual([
      expect.stringMatching(/^11:1: an \{argv\} block holds one command line, its quotes closed/),
    ]);
    expect(problems('---\nid: t\ntitle: T\nversion: 1\nphases: []\n---\n## P\n\n### S\n')).toEqual([
      expect.stringMatching(/^7:1: phases are written in the front matter and as headings/),
    ]);
  });

  it('waymark validate, plan and run take a .md runbook; its report names the .md file and its hash', () => {
    const dir = tempDir();
    const rb = join(dir, 'runbook.md');
    writeFileSync(
      rb,
      '---\nid: md-run\ntitle: MD run\nversion: 1\n---\n\n## One {#one}\n\n### Say hello {#hello}\n\n```sh\necho hello\n```\n\n### Sign off {signoff}\n',
    );
    const env = { WAYMARK_STATE_DIR: join(dir, 'state'), WAYMARK_OPERATOR: 'alice' };
    expect(cli(['validate', rb]).stdout).toMatch(/runbook\.md: valid — "MD run" v1: 1 phases, 2 steps/);
    // the default runbook of a folder without runbook.yaml is its runbook.md
    const run = cli(['run', '--non-interactive', '--yes'], env, dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/one\/hello: passed/);
    const out = join(dir, 'r.json');
    expect(cli(['report', '--all', '--format', 'json', '--out', out], env, dir).code).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(JSON.stringify(report.body)).toMatch(/runbook\.md/);
    expect(JSON.stringify(report.body)).toContain(sha256(readFileSync(rb)));
    // drift detection: a changed step of the .md is a changed phase, as in a YAML runbook
    writeFileSync(rb, readFileSync(rb, 'utf8').replace('echo hello', 'echo hello again'));
    expect(cli(['run', '--non-interactive', '--yes'], env, dir).stdout).toMatch(
      /the runbook changed since this run began: phase:one changed/,
    );
  });

  it('a quoted attribute keeps a regular expression as written: only \" and \\ are escapes', () => {
    const dir = tempDir();
    const f = join(dir, 'q.md');
    writeFileSync(
      f,
      `${FRONT}## P\n\n### S {#s expect="COPY \\d+ \\"done\\" \\\\ end" fail_on='say "hi" \\d'}\n\n\`\`\`sh\ntrue\n\`\`\`\n`,
    );
    const step = loadRunbook(f, { env: {} }).runbook.phases[0].steps[0];
    expect(step).toMatchObject({ expect: 'COPY \\d+ "done" \\ end', fail_on: 'say "hi" \\d' });
  });

  it("the README's Markdown example is a valid runbook", () => {
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf('````markdown\n') + '````markdown\n'.length;
    const f = join(tempDir(), 'runbook.md');
    writeFileSync(f, readme.slice(start, readme.indexOf('\n````\n', start)) + '\n');
    const rb = loadRunbook(f, { env: {} }).runbook;
    expect(rb.phases[0].steps.map((s) => `${s.id}:${s.kind}`)).toEqual([
      'backup:command',
      'no-order-of-last-year-is-still-open:check',
      'tell-support-the-archive-starts:manual',
      'sign-off:signoff',
    ]);
    expect(rb.phases[0].steps[0]).toMatchObject({ expect: 'COPY \\d+', timeout: '30m' });
    expect(rb.troubleshooting[0].fixes).toEqual(['Check DB_URL names the production database']);
  });
});

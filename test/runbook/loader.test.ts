import { describe, it, expect } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook, loadRunbookText, parseDuration } from '../../src/runbook/loader.js';
import { InputError, formatProblem } from '../../src/runbook/errors.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = `id: t
title: T
version: 1
phases:
  - id: p1
    title: P1
    steps:
      - { id: s1, kind: manual, title: Do it }
`;

function problems(text: string | Buffer, env: NodeJS.ProcessEnv = {}): string[] {
  const dir = tempDir();
  const file = join(dir, 'rb.yaml');
  writeFileSync(file, text);
  try {
    loadRunbook(file, { env, displayName: 'rb.yaml' });
  } catch (e) {
    if (e instanceof InputError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}

const phaseWith = (step: string) => `id: t\ntitle: T\nversion: 1\nphases:\n  - id: p1\n    title: P1\n    steps:\n      - ${step}\n`;

describe('runbook loader: malformed runbooks', () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['empty file', '', /^rb\.yaml:1:1: the runbook is empty/],
    ['only whitespace', '   \n\n', /rb\.yaml:1:1: the runbook is empty/],
    ['not a mapping', '- a\n- b\n', /rb\.yaml:1:1: the runbook must be a YAML mapping/],
    ['YAML syntax: bad indentation', 'id: t\ntitle: T\n  version: 1\n', /rb\.yaml:[23]:\d+: YAML:/],
    ['YAML syntax: unclosed quote', 'id: "t\ntitle: T\n', /rb\.yaml:\d+:\d+: YAML:/],
    ['duplicate key', 'id: t\nid: u\ntitle: T\nversion: 1\nphases: []\n', /rb\.yaml:2:1: YAML: .*[Mm]ap keys must be unique/],
    ['missing title', 'id: t\nversion: 1\nphases:\n  - id: p\n    title: P\n    steps: [{ id: s, kind: manual, title: x }]\n', /rb\.yaml:1:1: title: missing required field/],
    ['missing phases', 'id: t\ntitle: T\nversion: 1\n', /rb\.yaml:1:1: phases: missing required field/],
    ['empty phases', 'id: t\ntitle: T\nversion: 1\nphases: []\n', /rb\.yaml:4:9: phases: needs at least 1 item/],
    ['phases is a string', 'id: t\ntitle: T\nversion: 1\nphases: nope\n', /rb\.yaml:4:9: phases: .*expected array/i],
    ['bad id characters', MIN.replace('id: t\n', 'id: "Bad Id"\n'), /rb\.yaml:1:5: id: ids use lower-case/],
    ['unknown top-level field', MIN + 'colour: blue\n', /rb\.yaml:9:1: unknown field "colour"/],
    ['unknown step kind', phaseWith('{ id: s1, kind: dance, title: x }'), /rb\.yaml:8:\d+: phases\.0\.steps\.0.*: unknown step kind/],
    ['step without title', phaseWith('{ id: s1, kind: manual }'), /rb\.yaml:8:\d+: phases\.0\.steps\.0\.title: missing required field/],
    ['number where string expected', phaseWith('{ id: s1, kind: manual, title: [1, 2] }'), /rb\.yaml:8:\d+: phases\.0\.steps\.0\.title: .*expected string/i],
    ['command as string without shell', phaseWith('{ id: s1, kind: command, title: x, run: "ls -l" }'), /rb\.yaml:8:\d+: a command given as one string needs shell: true/],
    ['bad timeout', phaseWith('{ id: s1, kind: command, title: x, run: [ls], timeout: soon }'), /rb\.yaml:8:\d+: bad duration "soon"/],
    ['bad regex', phaseWith('{ id: s1, kind: command, title: x, run: [ls], expect_output: "(" }'), /rb\.yaml:8:\d+: expect_output is not a valid regular expression/],
    ['duplicate step ids', `${phaseWith('{ id: s1, kind: manual, title: x }')}      - { id: s1, kind: manual, title: y }\n`, /rb\.yaml:9:\d+: duplicate step id "s1"/],
    ['duplicate phase ids', `${MIN}  - id: p1\n    title: again\n    steps: [{ id: s, kind: manual, title: x }]\n`, /rb\.yaml:9:\d+: duplicate phase id "p1"/],
    ['gate names unknown check', MIN.replace('    title: P1\n', '    title: P1\n    gate: [nope]\n'), /rb\.yaml:7:\d+: unknown check "nope"/],
    ['check step names unknown check', phaseWith('{ id: s1, kind: check, title: x, check: ghost }'), /rb\.yaml:8:\d+: unknown check "ghost"/],
    ['wait names unknown phase', phaseWith('{ id: s1, kind: wait, title: x, after: "phase:nowhere", duration: 24h }'), /rb\.yaml:8:\d+: wait gate names unknown phase "nowhere"/],
    ['wait names unknown step', phaseWith('{ id: s1, kind: wait, title: x, after: "step:p1/zz", duration: 24h }'), /wait gate names unknown step "p1\/zz"/],
    ['wait with bad after', phaseWith('{ id: s1, kind: wait, title: x, after: yesterday, duration: 24h }'), /wait "after" must be phase:ID or step:PHASE\/STEP/],
    ['wait with bad duration', phaseWith('{ id: s1, kind: wait, title: x, after: "phase:p1", duration: a while }'), /bad duration "a while"/],
    ['undefined var', MIN.replace('title: Do it', 'title: "Do ${NOPE}"'), /rb\.yaml:8:\d+: undefined var \$\{NOPE\}/],
    ['unknown check type', MIN + 'checks:\n  c1: { type: pg.magic }\n', /rb\.yaml:10:\d+: check "c1" \(pg\.magic\): unknown check type "pg\.magic"/],
    ['bad check params', MIN + 'checks:\n  c1: { type: pg.cache-hit, params: { warn_below: 7 } }\n', /rb\.yaml:10:\d+: check "c1" \(pg\.cache-hit\): warn_below: /],
    ['unknown check param', MIN + 'checks:\n  c1: { type: pg.connection, params: { colour: red } }\n', /check "c1" \(pg\.connection\): unknown param "colour"/],
    ['check names unknown connection', MIN + 'checks:\n  c1: { type: pg.connection, connection: other }\n', /rb\.yaml:10:\d+: check "c1" names unknown connection "other"/],
    ['nested entity without parent', MIN + 'data:\n  tasks: { nested_in: projects, field: tasks }\n', /entity "tasks" is nested in unknown entity "projects"/],
    ['phase rollback unknown', MIN.replace('    title: P1\n', '    title: P1\n    rollback: undo\n'), /unknown rollback procedure "undo"/],
    ['alias bomb', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n', /rb\.yaml:1:1: too many YAML aliases/],
    ['not UTF-8', Buffer.from([0x69, 0x64, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), /rb\.yaml:1:1: file is not valid UTF-8/],
    ['tab indentation', 'id: t\nphases:\n\t- id: p\n', /rb\.yaml:3:\d+: YAML:/],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    const p = problems(text);
    expect(p.length).toBeGreaterThan(0);
    expect(p.join('\n')).toMatch(expected);
  });

  it('reports every problem at once, sorted by position', () => {
    const text = `id: t\ntitle: T\nversion: 1\nphases:\n  - id: p1\n    title: P1\n    gate: [nope]\n    steps:\n      - { id: s1, kind: check, title: x, check: ghost }\n      - { id: s1, kind: manual, title: "\${UNDEFINED}" }\n`;
    const p = problems(text);
    expect(p.length).toBeGreaterThanOrEqual(4);
    const lines = p.map((l) => Number(/^rb\.yaml:(\d+):/.exec(l)![1]));
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
    expect(p.join('\n')).toMatch(/unknown check "nope"/);
    expect(p.join('\n')).toMatch(/unknown check "ghost"/);
    expect(p.join('\n')).toMatch(/duplicate step id "s1"/);
    expect(p.join('\n')).toMatch(/undefined var/);
  });

  it('refuses absurd sizes', () => {
    const p = problems('# ' + 'x'.repeat(3 * 1024 * 1024));
    expect(p[0]).toMatch(/limited to \d+ bytes/);
  });

  it('a path that is missing or a folder says so in words, with the file named', () => {
    const read = (f: string) => {
      try {
        loadRunbook(f);
      } catch (e) {
        return (e as InputError).problems.map((x) => formatProblem(x)).join('\n');
      }
      return 'loaded';
    };
    expect(read('/nonexistent/runbook.yaml')).toMatch(/^\/nonexistent\/runbook\.yaml:1:1: cannot read the runbook: no such file\n {2}hint: check the path, or pass --runbook FILE$/);
    expect(read(tempDir())).toMatch(/:1:1: is a directory, not a runbook file\n  hint: pass the path of a runbook.yaml/);
  });

  it('every problem carries a hint where one helps', () => {
    const p = problems(MIN.replace('title: Do it', 'title: "Do ${NOPE}"'));
    expect(p[0]).toMatch(/hint: declare it under vars/);
  });
});

describe('templating and var precedence', () => {
  const rb = (extra = '') => `id: t\ntitle: T\nversion: 1\nenv_file: \${RUNBOOK_DIR}/my.env\nvars:\n  HOST: { default: from-default, env: APP_HOST }\n  URL: { default: 'http://\${HOST}:80' }\n  PASS: { secret: true }\n${extra}phases:\n  - id: p1\n    title: 'Connect to \${URL}'\n    steps:\n      - { id: s1, kind: command, title: x, run: [echo, '\${HOST}', 'literal $\${HOME}'] }\n`;

  it('takes the default when nothing else sets the var, and defaults may use other vars', () => {
    const dir = tempDir();
    const lr = loadRunbookText(rb(), join(dir, 'rb.yaml'), { env: {} });
    expect(lr.runbook.phases[0].title).toBe('Connect to http://from-default:80');
    expect(lr.vars.HOST.source).toBe('default');
  });

  it('prefers the env file over the default, and the process env over both', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'my.env'), 'APP_HOST=from-file\nPASS=s3cr3t-value\n');
    const fromFile = loadRunbookText(rb(), join(dir, 'rb.yaml'), { env: {} });
    expect(fromFile.vars.HOST).toMatchObject({ value: 'from-file', source: 'env-file' });
    const fromEnv = loadRunbookText(rb(), join(dir, 'rb.yaml'), { env: { APP_HOST: 'from-env' } });
    expect(fromEnv.vars.HOST).toMatchObject({ value: 'from-env', source: 'env' });
    expect(fromEnv.runbook.phases[0].steps[0]).toMatchObject({ run: ['echo', 'from-env', 'literal ${HOME}'] });
  });

  it('collects secret values into the redactor', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'my.env'), 'PASS=s3cr3t-value\n');
    const lr = loadRunbookText(rb(), join(dir, 'rb.yaml'), { env: {} });
    expect(lr.redactor.redact('password is s3cr3t-value')).toBe('password is ***');
  });

  it('parses durations', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('the seed runbook', () => {
  it('runbook.yaml is valid and keeps every seed phase, rollback and troubleshooting entry', () => {
    const lr = loadRunbook('runbook.yaml', { env: {} });
    const rb = lr.runbook;
    expect(rb.phases.map((p) => p.id)).toEqual(['pre-migration', 'phase-1-dual-write', 'phase-2-migrate', 'phase-3-validate', 'phase-4-switch-reads', 'phase-5-monitor-cleanup']);
    expect(rb.rollback.map((r) => r.id)).toEqual(expect.arrayContaining(['emergency', 'partial']));
    expect(rb.troubleshooting).toHaveLength(4);
    expect(rb.success).toHaveLength(6);
    const wait = rb.phases[5].steps.find((s) => s.id === 'stable-24h');
    expect(wait).toMatchObject({ kind: 'wait', duration: '24h', after: 'step:phase-4-switch-reads/switch-reads' });
    // seed thresholds
    expect(rb.checks['slow-queries'].params).toMatchObject({ max_mean_ms: 1000 });
    expect(rb.checks['pg-pool'].params).toMatchObject({ max_waiting: 5 });
    expect(rb.checks['cache-hit'].params).toMatchObject({ warn_below: 0.99, fail_below: 0.95 });
    expect(rb.checks['db-size'].params).toMatchObject({ max_disk_pct: 80 });
    // target-specific values are vars with the seed's defaults
    expect(lr.vars.DB_NAME.value).toBe('fluxstudio_db');
    expect(lr.vars.API_URL.value).toBe('https://fluxstudio.art');
    expect(lr.vars.RESTART_CMD.value).toBe('pm2 restart fluxstudio');
    expect(lr.vars.DB_PASSWORD.secret).toBe(true);
  });

  it('starts with the yaml-language-server schema line', () => {
    expect(readFileSync('runbook.yaml', 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./runbook.schema.json');
  });
});

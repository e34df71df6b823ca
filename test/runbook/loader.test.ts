import { describe, it, expect } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook, loadRunbookText, parseDuration } from '../../src/load/loader.js';
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

const phaseWith = (step: string) =>
  `id: t\ntitle: T\nversion: 1\nphases:\n  - id: p1\n    title: P1\n    steps:\n      - ${step}\n`;

const MALFORMED_BASIC = 36;

describe('runbook loader: malformed runbooks', () => {
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['empty file', '', /^rb\.yaml:1:1: the runbook is empty/],
    ['only whitespace', '   \n\n', /rb\.yaml:1:1: the runbook is empty/],
    ['not a mapping', '- a\n- b\n', /rb\.yaml:1:1: the runbook must be a YAML mapping/],
    ['YAML syntax: bad indentation', 'id: t\ntitle: T\n  version: 1\n', /rb\.yaml:[23]:\d+: YAML:/],
    ['YAML syntax: unclosed quote', 'id: "t\ntitle: T\n', /rb\.yaml:\d+:\d+: YAML:/],
    [
      'duplicate key',
      'id: t\nid: u\ntitle: T\nversion: 1\nphases: []\n',
      /rb\.yaml:2:1: YAML: .*[Mm]ap keys must be unique/,
    ],
    [
      'missing title',
      'id: t\nversion: 1\nphases:\n  - id: p\n    title: P\n    steps: [{ id: s, kind: manual, title: x }]\n',
      /rb\.yaml:1:1: title: missing required field/,
    ],
    ['missing phases', 'id: t\ntitle: T\nversion: 1\n', /rb\.yaml:1:1: phases: missing required field/],
    ['empty phases', 'id: t\ntitle: T\nversion: 1\nphases: []\n', /rb\.yaml:4:9: phases: needs at least 1 item/],
    ['phases is a string', 'id: t\ntitle: T\nversion: 1\nphases: nope\n', /rb\.yaml:4:9: phases: .*expected array/i],
    ['bad id characters', MIN.replace('id: t\n', 'id: "Bad Id"\n'), /rb\.yaml:1:5: id: ids use lower-case/],
    ['unknown top-level field', MIN + 'colour: blue\n', /rb\.yaml:9:1: unknown field "colour"/],
    [
      'unknown step kind',
      phaseWith('{ id: s1, kind: dance, title: x }'),
      /rb\.yaml:8:\d+: phases\.0\.steps\.0.*: unknown step kind/,
    ],
    [
      'step without title',
      phaseWith('{ id: s1, kind: manual }'),
      /rb\.yaml:8:\d+: phases\.0\.steps\.0\.title: missing required field/,
    ],
    [
      'number where string expected',
      phaseWith('{ id: s1, kind: manual, title: [1, 2] }'),
      /rb\.yaml:8:\d+: phases\.0\.steps\.0\.title: .*expected string/i,
    ],
    [
      'command as string without shell',
      phaseWith('{ id: s1, kind: command, title: x, run: "ls -l" }'),
      /rb\.yaml:8:\d+: a command given as one string needs shell: true/,
    ],
    [
      'bad timeout',
      phaseWith('{ id: s1, kind: command, title: x, run: [ls], timeout: soon }'),
      /rb\.yaml:8:\d+: bad duration "soon"/,
    ],
    [
      'bad regex',
      phaseWith('{ id: s1, kind: command, title: x, run: [ls], expect_output: "(" }'),
      /rb\.yaml:8:\d+: expect_output: \/\(\/ is not a valid regular expression/,
    ],
    [
      'duplicate step ids',
      `${phaseWith('{ id: s1, kind: manual, title: x }')}      - { id: s1, kind: manual, title: y }\n`,
      /rb\.yaml:9:\d+: duplicate step id "s1"/,
    ],
    [
      'duplicate phase ids',
      `${MIN}  - id: p1\n    title: again\n    steps: [{ id: s, kind: manual, title: x }]\n`,
      /rb\.yaml:9:\d+: duplicate phase id "p1"/,
    ],
    [
      'gate names unknown check',
      MIN.replace('    title: P1\n', '    title: P1\n    gate: [nope]\n'),
      /rb\.yaml:7:\d+: unknown check "nope"/,
    ],
    [
      'check step names unknown check',
      phaseWith('{ id: s1, kind: check, title: x, check: ghost }'),
      /rb\.yaml:8:\d+: unknown check "ghost"/,
    ],
    [
      'wait names unknown phase',
      phaseWith('{ id: s1, kind: wait, title: x, after: "phase:nowhere", duration: 24h }'),
      /rb\.yaml:8:\d+: wait gate names unknown phase "nowhere"/,
    ],
    [
      'wait names unknown step',
      phaseWith('{ id: s1, kind: wait, title: x, after: "step:p1/zz", duration: 24h }'),
      /wait gate names unknown step "p1\/zz"/,
    ],
    [
      'wait with bad after',
      phaseWith('{ id: s1, kind: wait, title: x, after: yesterday, duration: 24h }'),
      /wait "after" must be phase:ID or step:PHASE\/STEP/,
    ],
    [
      'wait with bad duration',
      phaseWith('{ id: s1, kind: wait, title: x, after: "phase:p1", duration: a while }'),
      /bad duration "a while"/,
    ],
    ['undefined var', MIN.replace('title: Do it', 'title: "Do ${NOPE}"'), /rb\.yaml:8:\d+: undefined var \$\{NOPE\}/],
    [
      'unknown check type',
      MIN + 'checks:\n  c1: { type: pg.magic }\n',
      /rb\.yaml:10:\d+: check "c1" \(pg\.magic\): unknown check type "pg\.magic"/,
    ],
    [
      'bad check params',
      MIN + 'checks:\n  c1: { type: pg.cache-hit, params: { warn_below: 7 } }\n',
      /rb\.yaml:10:\d+: check "c1" \(pg\.cache-hit\): warn_below: /,
    ],
    [
      'unknown check param',
      MIN + 'checks:\n  c1: { type: pg.connection, params: { colour: red } }\n',
      /check "c1" \(pg\.connection\): unknown param "colour"/,
    ],
    [
      'check names unknown connection',
      MIN + 'checks:\n  c1: { type: pg.connection, connection: other }\n',
      /rb\.yaml:10:\d+: check "c1" names unknown connection "other"/,
    ],
    [
      'nested entity without parent',
      MIN + 'data:\n  tasks: { nested_in: projects, field: tasks }\n',
      /entity "tasks" is nested in unknown entity "projects"/,
    ],
    [
      'phase rollback unknown',
      MIN.replace('    title: P1\n', '    title: P1\n    rollback: undo\n'),
      /unknown rollback procedure "undo"/,
    ],
    [
      'alias bomb',
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
      /rb\.yaml:1:1: too many YAML aliases/,
    ],
    ['not UTF-8', Buffer.from([0x69, 0x64, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), /rb\.yaml:1:1: file is not valid UTF-8/],
    ['tab indentation', 'id: t\nphases:\n\t- id: p\n', /rb\.yaml:3:\d+: YAML:/],
  ];
  it('holds the basic cases counted below', () => expect(cases.length).toBe(MALFORMED_BASIC));
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
    expect(read('/nonexistent/runbook.yaml')).toMatch(
      /^\/nonexistent\/runbook\.yaml:1:1: cannot read the runbook: no such file\n {2}hint: check the path, or pass --runbook FILE$/,
    );
    expect(read(tempDir())).toMatch(
      /:1:1: is a directory, not a runbook file\n  hint: pass the path of a runbook.yaml/,
    );
  });

  it('every problem carries a hint where one helps', () => {
    const p = problems(MIN.replace('title: Do it', 'title: "Do ${NOPE}"'));
    expect(p[0]).toMatch(/hint: declare it under vars/);
  });
});

describe('runbook loader: what would fail later is refused at load, with its position', () => {
  const two = (extra1: string, step2: string) =>
    `id: t\ntitle: T\nversion: 1\nphases:\n  - id: p1\n    title: P1\n${extra1}    steps:\n      - { id: s1, kind: manual, title: x }\n      - ${step2}\n  - id: p2\n    title: P2\n    steps:\n      - { id: s1, kind: manual, title: y }\n`;
  const DATA = 'data:\n  users: { file: users.json, table: users }\n';
  const more: Array<[string, string, RegExp]> = [
    [
      'var cycle of two',
      `vars:\n  A: { default: '\${B}/x' }\n  B: { default: '\${A}/y' }\n${MIN}`,
      /^rb\.yaml:2:17: var A refers back to itself: A → B → A$/m,
    ],
    [
      'var refers to itself',
      `vars:\n  DIR: { default: '\${DIR}/data' }\n${MIN}`,
      /^rb\.yaml:2:19: var DIR refers back to itself: DIR → DIR$/m,
    ],
    [
      'counts names an unknown entity',
      `${MIN}${DATA}checks:\n  c: { type: counts, params: { entities: [users, orders] } }\n`,
      /^rb\.yaml:12:50: check "c" \(counts\) names unknown data entity "orders"$/m,
    ],
    [
      'data.validate names an unknown entity',
      `${MIN}${DATA}checks:\n  c: { type: data.validate, params: { entities: [{ name: ghosts, fields: { id: id } }] } }\n`,
      /^rb\.yaml:12:58: check "c" \(data\.validate\) names unknown data entity "ghosts"$/m,
    ],
    [
      'wait for its own phase',
      phaseWith('{ id: w, kind: wait, title: x, after: "phase:p1", duration: 1h }'),
      /^rb\.yaml:8:47: wait "w" can never start: it waits for its own phase "p1" to be signed off, which needs the wait done first$/m,
    ],
    [
      'wait for a later phase',
      two('', '{ id: w, kind: wait, title: x, after: "phase:p2", duration: 1h }'),
      /^rb\.yaml:9:47: wait "w" can never start: phase "p2" comes later and cannot start before "p1" is signed off$/m,
    ],
    [
      'wait for a later step of its phase',
      `${phaseWith('{ id: w, kind: wait, title: x, after: "step:p1/s2", duration: 1h }')}      - { id: s2, kind: manual, title: y }\n`,
      /^rb\.yaml:8:47: wait "w" can never start: step "s2" comes after it, and steps run in order$/m,
    ],
    [
      'wait for itself',
      phaseWith('{ id: w, kind: wait, title: x, after: "step:p1/w", duration: 1h }'),
      /^rb\.yaml:8:47: wait "w" can never start: it waits for itself$/m,
    ],
    [
      'inverted cache-hit thresholds',
      `${MIN}checks:\n  c: { type: pg.cache-hit, params: { warn_below: 0.9, fail_below: 0.97 } }\n`,
      /^rb\.yaml:10:67: check "c" \(pg\.cache-hit\): fail_below: 0\.97 is above warn_below \(0\.9\): the thresholds are inverted$/m,
    ],
    ['NUL byte', MIN.replace('Do it', 'Do\0it'), /^rb\.yaml:8:42: control character U\+0000 \(NUL\) in the runbook$/m],
    [
      'BEL character',
      MIN.replace('title: T\n', 'title: T\u0007\n'),
      /^rb\.yaml:2:9: control character U\+0007 \(BEL\) in the runbook$/m,
    ],
    [
      'escape sequence',
      MIN.replace('title: P1', 'title: "P\u001b[31m1"'),
      /^rb\.yaml:6:14: control character U\+001B \(ESC\) in the runbook$/m,
    ],
    [
      'NUL written as an escape',
      MIN.replace('title: Do it', 'title: "Do\\0it"'),
      /^rb\.yaml:8:40: control character U\+0000 \(NUL\) in a value$/m,
    ],
    [
      '200 levels of nesting',
      `${MIN}description:\n${Array.from({ length: 200 }, (_, i) => `${' '.repeat(2 * (i + 1))}k:`).join('\n')} 1\n`,
      /^rb\.yaml:74:131: nested more than 64 levels deep$/m,
    ],
    [
      '3000 nested brackets',
      `${MIN}description: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
      /^rb\.yaml:9:797: nested too deeply to read \(more than 64 levels\)$/m,
    ],
    [
      'alias with no anchor',
      MIN.replace('title: T\n', 'title: *nope\n'),
      /^rb\.yaml:2:8: alias \*nope names no anchor$/m,
    ],
    [
      'two YAML documents',
      `${MIN}---\nid: u\n`,
      /^rb\.yaml:9:1: a second YAML document starts here; a runbook is one document$/m,
    ],
    [
      'bad var name',
      `vars:\n  db-host: { default: x }\n${MIN}`,
      /^rb\.yaml:2:3: vars: invalid name "db-host": var names are letters, digits and _$/m,
    ],
    ['missing version', MIN.replace('version: 1\n', ''), /^rb\.yaml:1:1: version: missing required field$/m],
    [
      'upper-case step id',
      phaseWith('{ id: Step1, kind: manual, title: x }'),
      /^rb\.yaml:8:15: phases\.0\.steps\.0\.id: ids use lower-case letters, digits, "\.", "_" and "-"$/m,
    ],
    [
      'misspelt step field',
      phaseWith('{ id: s1, kind: command, title: x, comand: [ls] }'),
      /rb\.yaml:8:9: phases\.0\.steps\.0\.run: missing required field[\s\S]*rb\.yaml:8:44: phases\.0\.steps\.0: unknown field "comand"/,
    ],
    [
      'unknown connection field',
      `${MIN}connections:\n  main: { hostname: db }\n`,
      /^rb\.yaml:10:11: connections\.main: unknown field "hostname"$/m,
    ],
    [
      'probe without url',
      `${MIN}probes:\n  app: { interval: 1s }\n`,
      /^rb\.yaml:10:8: probes\.app\.url: missing required field \(expected string\)$/m,
    ],
    [
      'success names an unknown check',
      `${MIN}success:\n  - { id: ok, criterion: works, checks: [ghost] }\n`,
      /^rb\.yaml:10:42: unknown check "ghost"$/m,
    ],
    [
      'success names an unknown step',
      `${MIN}success:\n  - { id: ok, criterion: works, steps: [p1/zz] }\n`,
      /^rb\.yaml:10:41: unknown step "p1\/zz"$/m,
    ],
    [
      'monitoring names an unknown check',
      `${MIN}monitoring:\n  checks: [ghost]\n`,
      /^rb\.yaml:10:12: unknown check "ghost"$/m,
    ],
    [
      'monitoring with a bad interval',
      `${MIN}monitoring:\n  interval: often\n`,
      /^rb\.yaml:10:13: bad duration "often"$/m,
    ],
    [
      'alert on an unknown check',
      `${MIN}monitoring:\n  alerts: [{ check: ghost, condition: fail }]\n`,
      /^rb\.yaml:10:21: unknown check "ghost"$/m,
    ],
    [
      'duplicate rollback ids',
      `${MIN}rollback:\n  - { id: r, title: R, steps: [{ id: a, kind: manual, title: x }] }\n  - { id: r, title: R2, steps: [{ id: a, kind: manual, title: x }] }\n`,
      /^rb\.yaml:11:11: duplicate rollback id "r"$/m,
    ],
    [
      'diagnostic names an unknown check',
      `${MIN}troubleshooting:\n  - { id: t1, symptom: slow, diagnostics: [{ id: d, kind: check, title: x, check: ghost }] }\n`,
      /^rb\.yaml:10:83: unknown check "ghost"$/m,
    ],
    [
      'check with a bad timeout',
      `${MIN}checks:\n  c: { type: pg.connection, timeout: later }\n`,
      /^rb\.yaml:10:38: bad duration "later"$/m,
    ],
    [
      'check without a type',
      `${MIN}checks:\n  c: { title: no type }\n`,
      /^rb\.yaml:10:6: checks\.c\.type: missing required field \(expected string\)$/m,
    ],
    [
      'required var without a value',
      `vars:\n  TOKEN: { required: true }\n${MIN.replace('title: Do it', 'title: "use \${TOKEN}"')}`,
      /^rb\.yaml:10:40: var TOKEN has no value$/m,
    ],
    [
      'entity without a file',
      `${MIN}data:\n  users: { table: users }\n`,
      /^rb\.yaml:10:10: entity "users" needs a file, or nested_in and field$/m,
    ],
    [
      'nested entity without field',
      `${MIN}data:\n  projects: { file: p.json }\n  tasks: { nested_in: projects }\n`,
      /^rb\.yaml:11:23: nested entity "tasks" needs field: \(the parent's array holding it\)$/m,
    ],
    [
      'entity on an unknown connection',
      `${MIN}data:\n  users: { file: u.json, connection: other }\n`,
      /^rb\.yaml:10:38: unknown connection "other"$/m,
    ],
    [
      'string where a number is expected',
      `${MIN}connections:\n  main: { connect_timeout_ms: soon }\n`,
      /^rb\.yaml:10:31: connections\.main\.connect_timeout_ms: Invalid input: expected number, received string$/m,
    ],
    [
      'vars is not a mapping',
      `vars: true\n${MIN}`,
      /^rb\.yaml:1:7: vars: Invalid input: expected record, received boolean$/m,
    ],
    [
      'edit-env without set',
      phaseWith('{ id: e, kind: edit-env, title: x, file: .env }'),
      /^rb\.yaml:8:9: phases\.0\.steps\.0\.set: missing required field \(expected record\)$/m,
    ],
    [
      'bad fail_on pattern in a list',
      phaseWith("{ id: s1, kind: command, title: x, run: [ls], fail_on: [ok, '[a-'] }"),
      /^rb\.yaml:8:\d+: fail_on: \/\[a-\/ is not a valid regular expression$/m,
    ],
    [
      'bad expect pattern',
      phaseWith("{ id: s1, kind: command, title: x, run: [ls], expect: '*' }"),
      /^rb\.yaml:8:\d+: expect: \/\*\/ is not a valid regular expression$/m,
    ],
    [
      'wait without duration',
      phaseWith('{ id: w, kind: wait, title: x, after: "phase:p1" }'),
      /^rb\.yaml:8:9: phases\.0\.steps\.0\.duration: missing required field \(expected string\)$/m,
    ],
  ];

  it.each(more)('%s', (_name, text, expected) => {
    const p = problems(text);
    expect(p.length).toBeGreaterThan(0);
    expect(p.join('\n')).toMatch(expected);
  });

  it('every one of them says what to do, not only what is wrong', () => {
    for (const [name, text] of more) {
      const p = problems(text);
      if (/missing required field|Invalid input|unknown field|ids use/.test(p[0])) continue; // the schema's own words
      expect(p.join('\n'), name).toMatch(/\n {2}hint: \S/);
    }
  });

  it('the count of malformed runbooks the tests hold stays at 60 or more', () => {
    expect(more.length + MALFORMED_BASIC).toBeGreaterThanOrEqual(60);
  });
});

describe('runbook loader: warnings', () => {
  const withSecret = (step: string) =>
    `id: t\ntitle: T\nversion: 1\nvars:\n  TOKEN: { default: abc, secret: true }\n  URL: { default: 'https://u:\${TOKEN}@h' }\nphases:\n  - id: p1\n    title: P1\n    steps:\n      - ${step}\n`;
  const load = (text: string) => loadRunbookText(text, join(tempDir(), 'rb.yaml'), { env: {}, displayName: 'rb.yaml' });

  it('a secret var on a command line is a warning with the fix, at its position', () => {
    const lr = load(withSecret("{ id: s1, kind: command, title: x, run: [curl, '-H', 'Authorization: \${TOKEN}'] }"));
    expect(lr.warnings.map(formatProblem)).toEqual([
      'rb.yaml:11:62: secret var ${TOKEN} is written into a command line, where any user of the machine can read it (ps)\n' +
        '  hint: pass it through env: (e.g. env: { TOKEN: "${TOKEN}" }) and use "$TOKEN" in the command',
    ]);
  });

  it('a var made from a secret counts as one; a secret passed through env: is no warning', () => {
    expect(load(withSecret("{ id: s1, kind: command, title: x, run: [curl, '\${URL}'] }")).warnings[0].message).toMatch(
      /secret var \$\{URL\}/,
    );
    expect(
      load(withSecret("{ id: s1, kind: command, title: x, run: [sh, -c, 'curl \"$U\"'], env: { U: '\${URL}' } }"))
        .warnings,
    ).toEqual([]);
  });
});

describe('templating and var precedence', () => {
  const rb = (extra = '') =>
    `id: t\ntitle: T\nversion: 1\nenv_file: \${RUNBOOK_DIR}/my.env\nvars:\n  HOST: { default: from-default, env: APP_HOST }\n  URL: { default: 'http://\${HOST}:80' }\n  PASS: { secret: true }\n${extra}phases:\n  - id: p1\n    title: 'Connect to \${URL}'\n    steps:\n      - { id: s1, kind: command, title: x, run: [echo, '\${HOST}', 'literal $\${HOME}'] }\n`;

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
    const lr = loadRunbook('runbook.yaml', { env: {}, environment: 'production' });
    const rb = lr.runbook;
    expect(rb.phases.map((p) => p.id)).toEqual([
      'pre-migration',
      'phase-1-dual-write',
      'phase-2-migrate',
      'phase-3-validate',
      'phase-4-switch-reads',
      'phase-5-monitor-cleanup',
    ]);
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
    expect(readFileSync('runbook.yaml', 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=./runbook.schema.json',
    );
  });
});

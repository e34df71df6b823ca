// The values a run learns: references, their substitution, the steps they name, what an input
// accepts, what a capture takes from output; and `waymark validate` on references that cannot hold.
import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { InputError } from '../../src/runbook/errors.js';
import { inputProblem, resolveStepRef, substituteValues, valueRefs, inputsOf } from '../../src/runbook/values.js';
import { Capturer } from '../../src/phases/capture.js';
import { tempDir } from '../helpers/tmp.js';

const rb = loadRunbook('test/fixtures/values.yaml').runbook;

describe('references to inputs and captured values', () => {
  it('are found, and substituted where the run has a value; the others stay as written', () => {
    expect(valueRefs('a ${inputs.policy} b ${steps.a/backup.file} ${VAR} ${steps.x.y.z}')).toEqual([
      { kind: 'input', name: 'policy', text: '${inputs.policy}' },
      { kind: 'step', step: 'a/backup', name: 'file', text: '${steps.a/backup.file}' },
      { kind: 'step', step: 'x.y', name: 'z', text: '${steps.x.y.z}' },
    ]);
    const out = substituteValues('--on=${inputs.policy} ${inputs.none} ${steps.backup.file}', (r) =>
      r.kind === 'input' && r.name === 'policy' ? 'keep-first' : undefined,
    );
    expect(out).toBe('--on=keep-first ${inputs.none} ${steps.backup.file}');
  });

  it('name a step by its id where it is used once, else by PHASE/STEP', () => {
    expect(resolveStepRef(rb, 'backup', 'a')).toMatchObject({ key: 'a/backup' });
    expect(resolveStepRef(rb, 'a/backup', 'rollback:restore')).toMatchObject({ key: 'a/backup' });
    // "restore" is a procedure's step: from the phase it is found everywhere, once
    expect(resolveStepRef(rb, 'restore', 'a')).toMatchObject({ key: 'rollback:restore/restore' });
    expect(resolveStepRef(rb, 'nope', 'a')).toEqual({ why: 'no step "nope"' });
  });

  it("a step's inputs: those it asks first, then those its strings use", () => {
    const migrate = rb.phases[0].steps[1];
    expect(inputsOf(rb, migrate)).toEqual(['policy', 'token']);
    expect(inputsOf(rb, rb.phases[0].steps[0])).toEqual(['target']);
  });
});

describe('an input accepts', () => {
  it('one of its choices, a whole match of its pattern, never nothing; a secret is never repeated', () => {
    expect(inputProblem('policy', rb.inputs.policy, 'keep-first')).toBeUndefined();
    expect(inputProblem('policy', rb.inputs.policy, 'keep')).toBe(
      'input "policy" is one of fail | keep-first, not "keep"',
    );
    expect(inputProblem('target', rb.inputs.target, 'prod')).toBeUndefined();
    expect(inputProblem('target', rb.inputs.target, 'prod1')).toBe(
      'input "target" must match /[a-z]+/, and "prod1" does not',
    );
    expect(inputProblem('target', rb.inputs.target, '')).toBe('input "target" needs a value');
    expect(inputProblem('t', { secret: true, pattern: '[a-z]+' }, 'Hunter2')).toBe('input "t" must match /[a-z]+/');
  });
});

describe('a capture', () => {
  it("takes a pattern's first group from the first line it matches, or a JSON path; says why it found nothing", () => {
    const c = new Capturer({ file: 'written to ([^"\\s]+)', n: { json: 'rows.0.n' }, gone: { json: 'x' } });
    c.line('{"rows": [{"n": 42}],', 'stdout');
    c.line('"note": "written to /a"}', 'stdout');
    c.line('written to /b', 'stderr');
    const got = c.finish();
    expect(got.values).toEqual({ file: { value: '/a' }, n: { value: '42' } });
    expect(got.missing).toEqual(['captured nothing for "gone": the output\'s JSON has nothing at x']);
    const none = new Capturer({ file: { pattern: 'written to (\\S+)', secret: true } });
    none.line('nothing here', 'stdout');
    expect(none.finish().missing).toEqual(['captured nothing for "file": no output line matched /written to (\\S+)/']);
  });
});

function validate(yaml: string): string[] {
  const f = join(tempDir(), 'runbook.yaml');
  writeFileSync(f, yaml);
  try {
    loadRunbook(f, { displayName: 'runbook.yaml' });
    return [];
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
  }
}

const head = `id: v\ntitle: V\nversion: 1\ninputs:\n  token: { secret: true }\n  p: { choices: [a, b] }\n`;

describe('waymark validate, on values', () => {
  it('names each reference that cannot hold, where it is', () => {
    const problems = validate(
      head +
        [
          'connections:',
          "  main: { password: '${inputs.token}' }",
          'phases:',
          '  - id: one',
          '    title: One',
          '    steps:',
          "      - { id: use, kind: command, title: Use, run: [echo, '${steps.make.out}', '${inputs.nope}'] }",
          "      - { id: make, kind: command, title: Make, run: [echo, x], capture: { out: 'x (.)', bad: 'no group' } }",
          "      - { id: leak, kind: command, title: Leak, run: [echo, '${inputs.token}'], ask: [zz] }",
          "      - { id: other, kind: command, title: Other, run: [echo, '${steps.make.missing}'] }",
        ].join('\n'),
    );
    expect(problems).toEqual([
      '8:21: ${inputs.token} is known only while a step runs, and connections are read before any does',
      '13:59: ${steps.make.out}: step "one/make" does not run before "one/use", so its value is not captured yet',
      '13:80: ${inputs.nope} names no input: declare "nope" under inputs:',
      '14:95: capture "bad": /no group/ has no group: put the value to capture in ( )',
      '15:61: ${inputs.token} is secret, and a command line is read by any user of the machine (ps)',
      '15:87: ask: "zz" is no input',
      '16:63: ${steps.make.missing}: step "one/make" captures no value "missing" (add it to its capture:)',
    ]);
  });

  it('takes the fixture whole: every reference names what an earlier step captures', () => {
    expect(() => loadRunbook('test/fixtures/values.yaml')).not.toThrow();
  });
});

describe('waymark validate, on environments', () => {
  it('names an environment promoted from itself or from none, a var it sets that is no var, a name nowhere', () => {
    const problems = validate(
      [
        'id: v',
        'title: V',
        'version: 1',
        'vars: { A: { default: x } }',
        'environments:',
        '  staging: { promote_from: staging, vars: { B: y } }',
        '  production: { promote_from: stage }',
        'phases:',
        '  - id: one',
        '    title: One',
        '    environments: [prod]',
        '    steps: [{ id: s, kind: manual, title: S }]',
      ].join('\n'),
    );
    expect(problems).toEqual([
      '6:28: environment "staging" cannot be promoted from itself',
      '6:48: environment "staging" sets B, which is no var',
      '7:31: promote_from: no environment "stage" (its environments: staging, production)',
      '11:20: no environment "prod" (its environments: staging, production)',
    ]);
  });
});

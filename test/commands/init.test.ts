// waymark init: a commented runbook to start from, for each common shape, valid as written and
// in YAML too; waymark completion: the shell completes commands, flags and template names.
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRunbook } from '../../src/load/loader.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('waymark init', () => {
  it('each template is a valid runbook that plans, in Markdown and in YAML alike', () => {
    const names = readdirSync('templates').map((f) => f.replace(/\.md$/, ''));
    expect(names.sort()).toEqual(['dual-write-migration', 'restore-drill', 'zero-downtime-deploy']);
    for (const name of names) {
      const dir = tempDir();
      const r = cli(['init', '--template', name], {}, dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        new RegExp(`^wrote runbook\\.md from the template ${name}: ".+", \\d+ phases, \\d+ steps`),
      );
      expect(readFileSync(join(dir, 'runbook.md'), 'utf8')).toBe(readFileSync(`templates/${name}.md`, 'utf8'));
      const plan = cli(['plan'], { WAYMARK_STATE_DIR: join(dir, 'state') }, dir);
      expect(plan.code, plan.stderr).toBe(0);
      expect(cli(['init', '--template', name, '--out', 'runbook.yaml'], {}, dir).code).toBe(0);
      const md = loadRunbook(join(dir, 'runbook.md'), { env: {} }).runbook;
      expect(loadRunbook(join(dir, 'runbook.yaml'), { env: {} }).runbook).toEqual(md);
    }
  });

  it('never overwrites, and names the templates when one is unknown', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'runbook.md'), 'mine\n');
    const r = cli(['init'], {}, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/runbook\.md exists: it is never overwritten; give --out ANOTHER_FILE/);
    expect(readFileSync(join(dir, 'runbook.md'), 'utf8')).toBe('mine\n');
    expect(cli(['init', '--template', 'nope'], {}, dir).stderr).toMatch(
      /--template nope: the templates are dual-write-migration, restore-drill, zero-downtime-deploy/,
    );
    expect(cli(['--help']).stdout).toMatch(/waymark init \[--template .*\n.*\n\s+waymark completion bash\|zsh/);
  });
});

describe('waymark completion', () => {
  it('bash completes commands, their flags and the template names', () => {
    const script = join(tempDir(), 'waymark.bash');
    const r = cli(['completion', 'bash']);
    expect(r.code).toBe(0);
    writeFileSync(script, r.stdout);
    const complete = (...words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _waymark; echo "\${COMPREPLY[*]}"`,
          script,
          ...words,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(complete('waymark', 'im')).toBe('import');
    expect(complete('waymark', 'run', '--non')).toBe('--non-interactive');
    expect(complete('waymark', 'init', '--template', 're')).toBe('restore-drill');
    expect(complete('waymark', 'demo', '--en').split(' ')).toEqual(['--env']);
    expect(cli(['completion', 'zsh']).stdout).toMatch(/^autoload -U \+X bashcompinit && bashcompinit$/m);
    expect(cli(['completion', 'fish']).code).toBe(2);
  });
});

// A runbook read back from the cache is the runbook the full load makes, in every
// environment; the cache holds no value from the environment; anything off takes the full load.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { serialize, deserialize } from 'node:v8';
import { join, resolve } from 'node:path';
import { loadRunbook, compiledOf } from '../../src/load/loader.js';
import { complete, type LoadedRunbook } from '../../src/runbook/compiled.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve('bin/waymark.js');
const same = (lr: LoadedRunbook) => ({
  runbook: lr.runbook,
  vars: lr.vars,
  connections: lr.connections,
  warnings: lr.warnings,
  partHashes: lr.partHashes,
  hash: lr.hash,
  secrets: lr.redactor.redact('s3cret-token hunter2 pw-from-url'),
});

describe('the runbook cache', () => {
  it('completes a compiled runbook exactly as the full load does, whatever the environment', () => {
    const envs: NodeJS.ProcessEnv[] = [
      {},
      { PGHOST: 'db.internal', PGPASSWORD: 'hunter2', DB_PORT: '6543' },
      { DATABASE_URL: 'postgres://u:pw-from-url@h:5433/x', SMOKE_TOKEN: 's3cret-token' },
    ];
    for (const file of ['runbook.yaml', 'examples/smoke.yaml'])
      for (const env of envs) {
        // the seed runbook is of an environment (its vars among those completed)
        const environment = file === 'runbook.yaml' ? 'staging' : undefined;
        const full = loadRunbook(file, { env, environment });
        const compiled = deserialize(serialize(compiledOf.get(full))) as Parameters<typeof complete>[0];
        const again = complete(compiled, full.file, full.text, file, env, environment)!;
        expect(same(again)).toEqual(same(full));
        // nothing from the environment is in what the cache keeps
        const bytes = serialize(compiledOf.get(full)).toString('latin1');
        for (const v of Object.values(env)) expect(bytes.includes(v!)).toBe(false);
      }
  });

  it('through the CLI: written once, read after, and never in the way', () => {
    const dir = tempDir();
    const cache = join(dir, 'cache');
    const rb = join(dir, 'rb.yaml');
    writeFileSync(rb, readFileSync('examples/smoke.yaml'));
    const env = { ...process.env, WAYMARK_CACHE_DIR: cache, WAYMARK_STATE_DIR: join(dir, 'state') };
    const plan = () => spawnSync(process.execPath, [BIN, 'plan', '--runbook', rb], { env, encoding: 'utf8' });
    const first = plan();
    expect(first.status).toBe(0);
    const files = readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(statSync(join(cache, files[0])).mode & 0o777).toBe(0o600);
    expect(plan().stdout).toBe(first.stdout);
    // a damaged cache file is passed over
    writeFileSync(join(cache, files[0]), 'not a cache');
    expect(plan().stdout).toBe(first.stdout);
    // an edited runbook is compiled anew, and its mistakes are said with their place, as always
    writeFileSync(rb, readFileSync(rb, 'utf8').replace(/^title: .*$/m, 'title: [unclosed'));
    const bad = plan();
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/rb\.yaml:\d+:\d+: /);
  });

  it('a required var the environment leaves empty is reported by the full load, with its place', () => {
    const dir = tempDir();
    const rb = join(dir, 'rb.yaml');
    writeFileSync(
      rb,
      [
        'id: t',
        'title: T',
        'version: 1',
        'vars: { NEED: { required: true } }',
        'phases:',
        '  - id: p',
        '    title: P',
        '    steps: [{ id: s, kind: manual, title: "uses ${NEED}" }]',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WAYMARK_CACHE_DIR: join(dir, 'cache'),
      WAYMARK_STATE_DIR: join(dir, 'state'),
    };
    delete env.NEED;
    const run = (extra: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, [BIN, 'plan', '--runbook', rb], { env: { ...env, ...extra }, encoding: 'utf8' });
    expect(run({ NEED: 'x' }).status).toBe(0); // compiled and cached
    const r = run({}); // NEED not set at all
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/rb\.yaml:8:\d+: var NEED has no value/);
  });
});

// One real PostgreSQL for the whole suite: embedded (a free port, a temp data dir)
// unless DATABASE_URL points at an external server.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type {} from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('databaseUrl', process.env.DATABASE_URL);
    return;
  }
  const { startEmbedded } = await import('../src/pg/embedded.js');
  const dir = mkdtempSync(join(tmpdir(), 'waymark-test-pg-'));
  chmodSync(dir, 0o755);
  const server = await startEmbedded({ dataDir: join(dir, 'data') });
  project.provide('databaseUrl', server.url);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

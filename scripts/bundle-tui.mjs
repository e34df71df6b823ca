// Bundles the TUI (screens + Ink and its dependencies) into dist/screens/run-tui.js.
// Why: Ink pulls in ~1000 small modules (es-toolkit/compat alone costs 200 ms to load);
// one bundle makes the first frame appear in a fraction of that. React is bundled too
// (the screens are the only users of React, so there is still one instance); everything
// outside src/screens (engine, checks, state) stays external and loads from dist as usual.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/screens/run-tui.js'],
  outfile: 'dist/screens/run-tui.js',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
  // keep Ink's production paths; devtools are never loaded
  // production React and reconciler: smaller and faster to load than the development builds
  define: { 'process.env.DEV': '"false"', 'process.env.NODE_ENV': '"production"' },
  plugins: [
    {
      name: 'keep-engine-external',
      setup(b) {
        b.onResolve({ filter: /^\.\.\// }, (args) => (args.importer.includes('/node_modules/') ? undefined : { path: args.path, external: true }));
        // Ink loads its devtools only when DEV=true; the bundle leaves them out.
        b.onResolve({ filter: /devtools(-window-polyfill)?\.js$/ }, (args) => ({ path: args.path, namespace: 'wm-empty' }));
        b.onLoad({ filter: /.*/, namespace: 'wm-empty' }, () => ({ contents: 'export default {};', loader: 'js' }));
      },
    },
  ],
  banner: { js: "import { createRequire as __wmCreateRequire } from 'node:module'; const require = __wmCreateRequire(import.meta.url);" },
});

// This build's identity, for the runbook cache (src/runbook/runbook-cache.ts): a hash of every
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

// node database/validate-data.js — compares JSON and PostgreSQL record by record.
// It runs the same comparison as Waymark's data.validate check (streamed JSON,
// PostgreSQL read in key order) and prints the report the runbook expects.
import { poolConfig, DATA_DIR, RUN_DIR, LEGACY_ID_NAMESPACE } from './config.js';
import { entities, comparisons } from './validation-spec.js';

const waymark = new URL('../../../dist/', import.meta.url);
const { runCheck } = await import(new URL('checks/run.js', waymark));
const { ConnectionManager } = await import(new URL('checks/pg.js', waymark));
const { Redactor } = await import(new URL('runbook/redact.js', waymark));

const cfg = poolConfig();
const connectionDefs = { main: { kind: 'postgres', host: cfg.host, port: cfg.port, database: cfg.database, user: cfg.user, password: cfg.password, connect_timeout_ms: 5000 } };
const connections = new ConnectionManager(connectionDefs);
const line = '='.repeat(60);
console.log('🚀 Starting Data Validation');
console.log(line);

const r = await runCheck(
  'validate-data',
  { type: 'data.validate', timeout: '2h', params: { entities: comparisons, legacy_id_namespace: LEGACY_ID_NAMESPACE, max_examples: 10 } },
  { connections, connectionDefs, data: entities, baseDir: DATA_DIR, redactor: new Redactor(cfg.password ? [cfg.password] : []), baselines: {}, artifactsDir: RUN_DIR },
);
await connections.close();

if (r.status === 'error') {
  console.error(`\n❌ Validation could not run: ${r.summary}${r.hint ? `\n   ${r.hint}` : ''}`);
  process.exit(1);
}
const m = r.metrics;
const label = (n) => n.charAt(0).toUpperCase() + n.slice(1);
for (const { name } of comparisons) {
  console.log(`\n🔍 Validating ${label(name)}...`);
  console.log(`  JSON ${name}: ${m[`${name}_json`]}`);
  console.log(`  PostgreSQL ${name}: ${m[`${name}_pg`]}`);
  console.log(`  Matched: ${m[`${name}_matched`]}`);
  console.log(`  Missing: ${m[`${name}_missing`]}`);
  if (m[`${name}_extra`]) console.log(`  Extra in PostgreSQL: ${m[`${name}_extra`]}`);
  if (m[`${name}_mismatched`]) console.log(`  Mismatched: ${m[`${name}_mismatched`]}`);
  if (m[`${name}_duplicates`]) console.log(`  Duplicate in JSON: ${m[`${name}_duplicates`]}`);
  if (m[`${name}_malformed`]) console.log(`  Malformed JSON entries: ${m[`${name}_malformed`]}`);
  if (m[`${name}_defaults_accepted`]) console.log(`  Default filled by the migration (declared, not a discrepancy): ${m[`${name}_defaults_accepted`]}`);
}
console.log('\n' + line);
console.log('📊 Data Validation Report');
console.log(line);
const total = m.discrepancies;
console.log(`\n${total === 0 ? '✅' : '❌'} Total Discrepancies Found: ${total}`);
const examples = r.evidence?.[1]?.rows ?? [];
if (examples.length) {
  console.log('\n🔎 DISCREPANCIES (first examples of each kind):');
  for (const [entity, key, kind, field, json, pg] of examples) console.log(`  ${entity} ${key} ${kind} ${field}: JSON=${json} PostgreSQL=${pg}`);
}
for (const a of r.artifacts ?? []) console.log(`\n📄 Every discrepancy: ${a.file} (${a.lines} lines, sha256 ${a.sha256})`);
const notCompared = r.evidence?.[2]?.rows ?? [];
if (notCompared.length) console.log(`\n🙈 Not compared: ${notCompared.map(([e, c, why]) => `${e}.${c} (${why})`).join('; ')}`);
console.log('\n📋 STATISTICS:');
for (const { name } of comparisons) {
  console.log(`\n${name.toUpperCase()}:`);
  console.log(`  JSON Count: ${m[`${name}_json`]}`);
  console.log(`  PostgreSQL Count: ${m[`${name}_pg`]}`);
  console.log(`  Matched: ${m[`${name}_matched`]}`);
  console.log(`  Missing: ${m[`${name}_missing`]}`);
  console.log(`  Accuracy: ${Number(m[`${name}_accuracy_pct`]).toFixed(1)}%`);
}
console.log('\n💡 RECOMMENDATIONS:');
if (total === 0) {
  console.log('  ✅ Data is consistent! Safe to proceed with migration.');
  console.log('  ✅ You can set USE_POSTGRES=true');
} else {
  console.log('  ❌ Review the discrepancies above and fix the data.');
  console.log('  🔁 Re-run migration: node database/migrate-json-to-postgres.js');
  console.log('  🔁 Re-validate: node database/validate-data.js');
  process.exitCode = 1;
}

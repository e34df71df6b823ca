// node database/test-connection.js — can the app reach PostgreSQL?
import { createPool, poolConfig } from './config.js';

const cfg = poolConfig();
const pool = createPool({ max: 1, connectionTimeoutMillis: 5000 });
try {
  const r = await pool.query('SELECT NOW() AS now');
  console.log(`✅ Database connected successfully at: ${r.rows[0].now.toISOString()}`);
  console.log(`   ${cfg.user}@${cfg.host}:${cfg.port}/${cfg.database}`);
} catch (e) {
  console.error(`❌ Database connection failed (${cfg.user}@${cfg.host}:${cfg.port}/${cfg.database}): ${e.message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}

// PostgreSQL side of the store: the same operations as the JSON store.
import { toUuid } from './config.js';

export function pgStore(pool, log) {
  const timed = async (label, sql, args) => {
    const t0 = Date.now();
    const r = await pool.query(sql, args);
    const ms = Date.now() - t0;
    if (ms > 1000) log(`⚠️ Slow query (${ms} ms): ${label}`);
    return r;
  };
  return {
    async insertUser(u) {
      await timed('insert user', `INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (id) DO NOTHING`, [toUuid(u.id), u.email, u.name, u.role ?? 'user', u.passwordHash ?? null, u.createdAt, u.updatedAt ?? null]);
    },
    async insertProject(p) {
      await timed('insert project', `INSERT INTO projects (id, name, description, status, owner_id, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (id) DO NOTHING`, [toUuid(p.id), p.name, p.description ?? null, p.status ?? 'active', toUuid(p.ownerId), p.createdAt, p.updatedAt ?? null]);
      await timed('insert activity', `INSERT INTO activities (project_id, user_id, action) VALUES ($1, $2, 'project.created')`, [toUuid(p.id), toUuid(p.ownerId)]);
    },
    async insertTask(projectId, t) {
      // a task's legacy id is mapped within its project, as the migration maps it (config.js)
      await timed('insert task', `INSERT INTO tasks (id, project_id, title, status, priority, due_date, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (id) DO NOTHING`, [toUuid(t.id, toUuid(projectId)), toUuid(projectId), t.title, t.status ?? 'todo', t.priority ?? 3, t.dueDate ?? null, t.createdAt ?? null]);
    },
    async users() {
      const r = await timed('select users', `SELECT id, email, name, role, created_at FROM users ORDER BY created_at`);
      return r.rows.map((u) => ({ id: u.id, email: u.email, name: u.name, role: u.role, createdAt: u.created_at?.toISOString() ?? null }));
    },
    async findUserByEmail(email) {
      const r = await timed('select user by email', `SELECT id FROM users WHERE email = $1`, [email]);
      return r.rows[0];
    },
    async projects() {
      const r = await timed(
        'select projects',
        `SELECT p.id, p.name, p.description, p.status, p.owner_id, p.created_at,
                coalesce((SELECT json_agg(json_build_object('id', t.id, 'title', t.title, 'status', t.status, 'priority', t.priority, 'dueDate', t.due_date::text) ORDER BY t.created_at, t.id) FROM tasks t WHERE t.project_id = p.id), '[]') AS tasks,
                coalesce((SELECT json_agg(json_build_object('id', m.id, 'title', m.title, 'completed', m.completed, 'dueDate', m.due_date::text) ORDER BY m.created_at, m.id) FROM milestones m WHERE m.project_id = p.id), '[]') AS milestones
           FROM projects p ORDER BY p.created_at, p.id`,
      );
      return r.rows.map((p) => ({ id: p.id, name: p.name, description: p.description, status: p.status, ownerId: p.owner_id, createdAt: p.created_at?.toISOString() ?? null, tasks: p.tasks, milestones: p.milestones }));
    },
  };
}

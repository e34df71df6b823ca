// What "the same data" means for Flux Studio: JSON field → PostgreSQL column.
// runbook.yaml's data-validation check declares the same mapping.
export const entities = {
  users: { file: 'users.json', path: 'users', key: 'id', table: 'users' },
  projects: { file: 'projects.json', path: 'projects', key: 'id', table: 'projects' },
  tasks: { nested_in: 'projects', field: 'tasks', key: 'id', table: 'tasks' },
  milestones: { nested_in: 'projects', field: 'milestones', key: 'id', table: 'milestones' },
};

// Exact: no field declares a normalisation but the due dates, which the migration writes as
// NULL where the JSON had '' (conversions.js). Every other column is compared or named.
// Users and projects written after the JSON was read are new, not extra: the app keeps serving.
const legacy = { legacy: 'what the migration keeps for rollback (legacy ids, fields without a column), not data of the app' };
const dueDate = { column: 'due_date', normalize: ['empty_is_null'] };
export const comparisons = [
  { name: 'users', as_of_column: 'created_at', fields: { email: 'email', name: 'name', role: 'role', passwordHash: 'password_hash', createdAt: 'created_at', updatedAt: 'updated_at' }, not_compared: legacy },
  { name: 'projects', as_of_column: 'created_at', fields: { name: 'name', description: 'description', status: 'status', ownerId: { column: 'owner_id', type: 'key' }, createdAt: 'created_at', updatedAt: 'updated_at' }, not_compared: legacy },
  { name: 'tasks', parent_column: 'project_id', fields: { title: 'title', status: 'status', priority: 'priority', dueDate, createdAt: 'created_at' }, not_compared: legacy },
  { name: 'milestones', parent_column: 'project_id', fields: { title: 'title', completed: 'completed', dueDate, createdAt: 'created_at' }, not_compared: legacy },
];

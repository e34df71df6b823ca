// What "the same data" means for Flux Studio: JSON field → PostgreSQL column.
// runbook.yaml's data-validation check declares the same mapping.
export const entities = {
  users: { file: 'users.json', path: 'users', key: 'id', table: 'users' },
  projects: { file: 'projects.json', path: 'projects', key: 'id', table: 'projects' },
  tasks: { nested_in: 'projects', field: 'tasks', key: 'id', table: 'tasks' },
  milestones: { nested_in: 'projects', field: 'milestones', key: 'id', table: 'milestones' },
};

export const comparisons = [
  { name: 'users', fields: { email: 'email', name: 'name', role: 'role', createdAt: 'created_at' } },
  { name: 'projects', fields: { name: 'name', description: 'description', status: 'status', ownerId: { column: 'owner_id', type: 'key' }, createdAt: 'created_at' } },
  { name: 'tasks', parent_column: 'project_id', fields: { title: 'title', status: 'status', priority: 'priority', dueDate: 'due_date' } },
  { name: 'milestones', parent_column: 'project_id', fields: { title: 'title', completed: 'completed', dueDate: 'due_date' } },
];

-- Migration 006: tasks and milestones (nested in projects in the JSON store) and activities.
-- Safe to run more than once.
CREATE TABLE IF NOT EXISTS tasks (
  id          uuid PRIMARY KEY,
  project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  title       text NOT NULL,
  status      text NOT NULL DEFAULT 'todo',
  priority    integer NOT NULL DEFAULT 3,
  due_date    date,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS tasks_project_id_idx ON tasks (project_id);
CREATE INDEX IF NOT EXISTS tasks_status_idx ON tasks (status);

CREATE TABLE IF NOT EXISTS milestones (
  id          uuid PRIMARY KEY,
  project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  title       text NOT NULL,
  completed   boolean NOT NULL DEFAULT false,
  due_date    date,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS milestones_project_id_idx ON milestones (project_id);

CREATE TABLE IF NOT EXISTS activities (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id  uuid REFERENCES projects(id) ON DELETE CASCADE,
  user_id     uuid REFERENCES users(id) ON DELETE SET NULL,
  action      text NOT NULL,
  details     jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS activities_project_created_idx ON activities (project_id, created_at);

-- What the JSON records had that the columns do not (legacy ids as written, fields without a
-- column, originals written differently, key order, position): rollback-to-json gives the
-- records back exactly from it. A missing timestamp stays NULL: the migration never invents one.
ALTER TABLE users ADD COLUMN IF NOT EXISTS legacy jsonb;
ALTER TABLE projects ADD COLUMN IF NOT EXISTS legacy jsonb;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS legacy jsonb;
ALTER TABLE milestones ADD COLUMN IF NOT EXISTS legacy jsonb;
ALTER TABLE users ALTER COLUMN created_at DROP NOT NULL, ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE projects ALTER COLUMN created_at DROP NOT NULL, ALTER COLUMN updated_at DROP NOT NULL;
ALTER TABLE tasks ALTER COLUMN created_at DROP NOT NULL;
ALTER TABLE milestones ALTER COLUMN created_at DROP NOT NULL;

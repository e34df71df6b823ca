// The runbook format. One zod schema is the single source of truth: the loader
// validates with it, `waymark schema` and runbook.schema.json are generated from it.
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'ids use lower-case letters, digits, ".", "_" and "-"');

export const varSchema = z
  .object({
    default: z
      .union([z.string(), z.number(), z.boolean()])
      .optional()
      .describe('Value used when neither the environment nor the env file sets it'),
    env: z
      .string()
      .optional()
      .describe('Environment variable (and env-file key) to read the value from; defaults to the var name'),
    secret: z.boolean().optional().describe('Never shown, logged, stored or reported'),
    description: z.string().optional(),
    required: z.boolean().optional().describe('Load fails when no value is found'),
  })
  .strict();

export const connectionSchema = z
  .object({
    kind: z.literal('postgres').default('postgres'),
    url: z.string().optional().describe('A connection string; overrides the separate fields'),
    host: z.string().optional(),
    port: z.union([z.string(), z.number()]).optional(),
    database: z.string().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    application_name: z
      .string()
      .optional()
      .describe("The application's pool name, to find its connections in pg_stat_activity"),
    writes: z
      .boolean()
      .optional()
      .describe('The runbook changes this database; Waymark holds a lock in it while a run is live'),
    connect_timeout_ms: z.number().int().positive().optional(),
  })
  .strict();

export const entitySchema = z
  .object({
    file: z
      .string()
      .optional()
      .describe(
        "JSON file holding an array (or an object with the array under `path`); nested entities use their parent's",
      ),
    path: z.string().optional().describe('Dotted path to the array inside the file, e.g. "users"'),
    nested_in: z.string().optional().describe('Parent entity whose records hold this one as an array'),
    field: z.string().optional().describe('Field of the parent record holding the array'),
    also_as_map: z
      .boolean()
      .optional()
      .describe(
        "Nested: the parent's field may be an object keyed by this entity's key instead of an array; its " +
          "values are the records (one without a key takes the map's)",
      ),
    null_is_empty: z.boolean().optional().describe('Nested: a null field in the parent holds no records'),
    key_scope: z
      .enum(['file', 'parent'])
      .optional()
      .describe(
        'parent: a legacy (non-UUID) key is unique only within its parent record, and is mapped with the ' +
          "parent's key as namespace (data.validate's legacy_id_namespace)",
      ),
    key: z.string().default('id'),
    table: z.string().optional().describe('PostgreSQL table with the same records'),
    connection: z.string().optional(),
  })
  .strict();

export const checkSchema = z
  .object({
    type: z.string().describe('A check type from the checks library: pg.connection, counts, data.validate, …'),
    title: z.string().optional(),
    description: z.string().optional(),
    connection: z.string().optional(),
    timeout: z.string().optional().describe('e.g. "10s"; the check is stopped and reported as error after it'),
    baseline: z
      .union([
        z.literal('record'),
        z
          .object({
            compare: z.string().describe('Id of the check whose recorded baseline to compare with'),
            metric: z.string().optional(),
            max_increase_pct: z.number().optional(),
            max_decrease_pct: z.number().optional(),
            max_increase_abs: z
              .number()
              .nonnegative()
              .optional()
              .describe("noise floor: an increase this small (in the metric's unit) is never a regression"),
            equal: z.boolean().optional(),
            confirm: z
              .number()
              .int()
              .min(0)
              .max(5)
              .optional()
              .describe(
                'A comparison that fails is measured again, up to this many times, and fails only when each ' +
                  'measurement does: a timing regression must reproduce, a moment of load on the machine does not',
              ),
          })
          .strict(),
      ])
      .optional(),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const valueName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'value names are letters, digits and _');

export const inputSchema = z
  .object({
    description: z.string().optional().describe('What the value is for, shown where it is asked'),
    secret: z
      .boolean()
      .optional()
      .describe('Asked masked, never echoed, stored or reported: the record says who gave it and when'),
    choices: z
      .array(z.union([z.string(), z.object({ value: z.string(), description: z.string().optional() }).strict()]))
      .min(1)
      .optional()
      .describe('The values it may take, each with what it does'),
    pattern: z.string().optional().describe('Regular expression the whole value must match'),
    default: z.string().optional().describe('Proposed where it is asked; taken by --yes'),
    env: z
      .string()
      .optional()
      .describe('Environment variable that gives it without asking; defaults to the name in upper case'),
  })
  .strict();

export const captureSchema = z.union([
  z.string().describe('Regular expression with one group, matched against each output line: the first match'),
  z
    .object({
      pattern: z.string().optional().describe('Regular expression with one group: the first line it matches'),
      json: z
        .string()
        .optional()
        .describe("Dotted path into the output read as JSON (a check step: its result's summary and metrics)"),
      secret: z.boolean().optional().describe('Kept out of the state, the audit log and reports, like a secret input'),
    })
    .strict(),
]);

/** A step or phase limited to some environments (absent: all). */
const onlyIn = z
  .array(z.string())
  .min(1)
  .optional()
  .describe('The environments it runs in (all when left out); elsewhere it is not part of the run');

export const environmentSchema = z
  .object({
    description: z.string().optional(),
    vars: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .default({})
      .describe("Var values of this environment: over the env file's and the defaults, under the process's own"),
    env_file: z.string().optional().describe("This environment's env file, instead of the runbook's env_file"),
    promote_from: z
      .string()
      .optional()
      .describe(
        'A run here starts only after a run of the same runbook (same sha256) in that environment has every ' +
          'phase signed off by trusted keys; its report names that run',
      ),
  })
  .strict();

const stepBase = {
  id,
  environments: onlyIn,
  ask: z
    .array(valueName)
    .optional()
    .describe('Inputs asked when the step is reached (a decision), recorded with who gave them'),
  title: z.string(),
  instructions: z.string().optional(),
  destructive: z.boolean().optional(),
  confirm_word: z.string().optional().describe('The word a destructive step asks the operator to type'),
  point_of_no_return: z.string().optional().describe('Text naming what cannot be undone after this step'),
  optional: z.boolean().optional(),
  rerun: z
    .enum(['ask', 'never'])
    .optional()
    .describe(
      'Whether a step that passed (or was skipped or overridden) may run again: ask (the operator confirms it) or ' +
        'never. Default: never for destructive steps and points of no return, ask for the others',
    ),
};

export const commandStepSchema = z
  .object({
    ...stepBase,
    kind: z.literal('command'),
    run: z.union([z.array(z.string()).min(1), z.string()]).describe('Argument array; a string only with shell: true'),
    shell: z.boolean().optional(),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    expect_exit: z.union([z.number().int(), z.array(z.number().int())]).optional(),
    expect_output: z.string().optional().describe('Regular expression some output line must match (as expect:)'),
    expect: z
      .union([z.string(), z.array(z.string()).min(1)])
      .optional()
      .describe('Regular expression(s): each must match a line of the output, or the step fails'),
    fail_on: z
      .union([z.string(), z.array(z.string()).min(1)])
      .optional()
      .describe('Regular expression(s): an output line matching one fails the step, whatever its exit code'),
    timeout: z.string().optional(),
    background: z.boolean().optional().describe('Start and do not wait (e.g. starting a server)'),
    capture: z
      .record(valueName, captureSchema)
      .optional()
      .describe('Values taken from the output, for later steps as ${steps.STEP.NAME}'),
  })
  .strict();

export const manualStepSchema = z.object({ ...stepBase, kind: z.literal('manual') }).strict();
export const checkStepSchema = z
  .object({
    ...stepBase,
    kind: z.literal('check'),
    check: z.string(),
    capture: z
      .record(valueName, captureSchema)
      .optional()
      .describe("Values taken from the check's result, for later steps as ${steps.STEP.NAME}"),
  })
  .strict();
export const waitStepSchema = z
  .object({
    ...stepBase,
    kind: z.literal('wait'),
    after: z.string().describe('"phase:ID" or "step:PHASE/STEP" whose completion starts the clock'),
    duration: z.string().describe('e.g. "24h", "7d", "30m"'),
    overridable: z
      .boolean()
      .optional()
      .describe('false: the wait can never be passed early, not even as an override with a reason (default true)'),
  })
  .strict();
export const editEnvStepSchema = z
  .object({
    ...stepBase,
    kind: z.literal('edit-env'),
    file: z.string(),
    set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  })
  .strict();
export const signoffStepSchema = z
  .object({ ...stepBase, kind: z.literal('signoff'), statement: z.string().optional() })
  .strict();

export const stepSchema = z.discriminatedUnion('kind', [
  commandStepSchema,
  manualStepSchema,
  checkStepSchema,
  waitStepSchema,
  editEnvStepSchema,
  signoffStepSchema,
]);

export const phaseSchema = z
  .object({
    id,
    title: z.string(),
    objective: z.string().optional(),
    when: z.string().optional().describe('Planned timing, e.g. "Day 1 - Hour 0"'),
    independent: z.boolean().optional().describe('May start before the previous phase is signed off'),
    signoff: z.boolean().default(true),
    approvals: z
      .number()
      .int()
      .min(1)
      .max(9)
      .default(1)
      .describe(
        'People whose signature the sign-off needs: the signer and approvals-1 others (`waymark approve`); ' +
          'the next phase starts only then',
      ),
    distinct_from: z
      .enum(['signer', 'operators'])
      .default('signer')
      .describe('An approver is not the signer (signer), nor anyone who ran a step of the phase (operators)'),
    gate: z.array(z.string()).default([]).describe('Check ids that must pass (or be overridden) before sign-off'),
    environments: onlyIn,
    rollback: z.string().optional().describe('Rollback procedure that undoes this phase'),
    point_of_no_return: z.string().optional(),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export const procedureSchema = z
  .object({
    id,
    title: z.string(),
    when: z.string().optional(),
    destructive: z.boolean().optional(),
    confirm_word: z.string().optional(),
    steps: z.array(stepSchema).min(1),
  })
  .strict();

export const troubleshootingSchema = z
  .object({
    id,
    symptom: z.string(),
    description: z.string().optional(),
    diagnostics: z.array(stepSchema).default([]),
    fixes: z.array(z.string()).default([]),
  })
  .strict();

export const monitoringSchema = z
  .object({
    interval: z.string().default('30s'),
    checks: z.array(z.string()).default([]),
    alerts: z
      .array(z.object({ check: z.string(), metric: z.string().optional(), condition: z.string() }).strict())
      .default([]),
  })
  .strict();

export const probeSchema = z
  .object({
    url: z.string().describe('An HTTP endpoint asked every interval while a session is open (and by `waymark probe`)'),
    expect_status: z.number().int().default(200),
    expect_json: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe('dotted path → value the answer must hold, e.g. { status: ok }'),
    interval: z.string().default('250ms'),
    timeout: z.string().default('2s'),
  })
  .strict();

export const successSchema = z
  .object({
    id,
    criterion: z.string(),
    checks: z.array(z.string()).default([]),
    steps: z
      .array(z.string())
      .default([])
      .describe('"PHASE/STEP" whose status is evidence (e.g. a wait that kept the rollback window)'),
    every_run: z
      .boolean()
      .optional()
      .describe(
        'met only if every run of its checks during the migration passed (e.g. availability), not just the latest',
      ),
    evidence: z.string().optional(),
    probe: z
      .string()
      .optional()
      .describe('a probe whose record is evidence: the criterion holds only where it probed the whole time'),
    max_outage: z.string().optional().describe('longest outage the probe may see, e.g. "0s"'),
    availability: z.number().min(0).max(100).optional().describe('share of good answers required, in %'),
  })
  .strict();

/** What a webhook is told of (src/phases/notify.ts says when each happens). */
export const NOTIFY_EVENT_NAMES = [
  'signoff',
  'approval-needed',
  'override',
  'gate-failed',
  'rollback-started',
  'monitoring-alert',
  'report',
] as const;

export const notifySchema = z
  .object({
    url: z
      .string()
      .describe(
        'Webhook URL, usually from a var (${SLACK_WEBHOOK_URL}); a JSON POST with Slack\'s "text" and the facts as ' +
          'fields. A secret: never shown, logged, stored or reported. Empty: this webhook is off',
      ),
    events: z
      .array(z.enum(NOTIFY_EVENT_NAMES))
      .optional()
      .describe('What this webhook is told of; every event when left out'),
  })
  .strict();

export const runbookSchema = z
  .object({
    id,
    title: z.string(),
    version: z.union([z.string(), z.number()]).transform(String),
    description: z.string().optional(),
    env_file: z.string().optional().describe('Env file read for var values (default .env beside the runbook)'),
    allowed_signers: z
      .string()
      .optional()
      .describe(
        'allowed_signers file (ssh-keygen / git format) that `waymark verify` trusts; default ' +
          '.waymark/allowed_signers beside the runbook',
      ),
    vars: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'var names are letters, digits and _'), varSchema)
      .default({}),
    environments: z
      .record(id, environmentSchema)
      .default({})
      .describe('Where a run can be (staging, production…): a run is of one, given by --env or WAYMARK_ENV'),
    inputs: z
      .record(valueName, inputSchema)
      .default({})
      .describe(
        'Values an operator gives the run, as ${inputs.NAME}: asked at the start (or by a step that lists them in ' +
          'ask:), taken from --var NAME=VALUE or the environment in plain mode',
      ),
    connections: z.record(z.string(), connectionSchema).default({}),
    data: z.record(z.string(), entitySchema).default({}),
    checks: z.record(z.string(), checkSchema).default({}),
    phases: z.array(phaseSchema).min(1),
    rollback: z.array(procedureSchema).default([]),
    troubleshooting: z.array(troubleshootingSchema).default([]),
    monitoring: monitoringSchema.optional(),
    success: z.array(successSchema).default([]),
    probes: z.record(z.string(), probeSchema).default({}),
    maintenance: z.record(z.string(), z.array(stepSchema)).default({}),
    notify: z.array(notifySchema).default([]).describe('Webhooks told of sign-offs, overrides, failed gates, …'),
    state: z
      .object({
        url: z
          .string()
          .optional()
          .describe('A PostgreSQL URL (usually a var from the env file): the run lives there, shared by a team'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type Runbook = z.output<typeof runbookSchema>;
export type Phase = Runbook['phases'][number];
export type Step = z.output<typeof stepSchema>;
export type CheckDef = z.output<typeof checkSchema>;
export type Procedure = Runbook['rollback'][number];
export type Connection = z.output<typeof connectionSchema>;
export type Entity = z.output<typeof entitySchema>;
export type InputDef = z.output<typeof inputSchema>;
export type CaptureDef = z.output<typeof captureSchema>;

export function jsonSchema(): unknown {
  const schema = z.toJSONSchema(runbookSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { $id: 'https://waymark.dev/runbook.schema.json', title: 'Waymark runbook', ...schema };
}

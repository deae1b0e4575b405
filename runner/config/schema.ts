/**
 * The JSON Schema (draft 2020-12) of a pipeline file: the engine's own keys, the product's sections, and one
 * `if step = X then with: <X's schema>` branch per registered step, so each `with:` block is checked by its step.
 */
import { Type, type TSchema } from '../schema-builder.ts';
import type { Registry } from '../registry.ts';

export const STAGE_NAME = '^[a-z][a-z0-9_-]*$';
/** A step given as a path to a local module (custom step). */
export const LOCAL_STEP = '^\\.{1,2}/.+\\.(ts|js|mjs)$';

/** A map whose keys are names matching `pattern` and whose values all follow `value`. */
export function namedMap(pattern: string, value: TSchema, opts: Record<string, unknown> = {}): TSchema {
  return Type.Unsafe({ type: 'object', propertyNames: { pattern }, additionalProperties: value, ...opts });
}

const stageSchema = (registry: Registry): TSchema => Type.Unsafe({
  type: 'object',
  description: 'A stage: which step runs it, and that step\'s parameters.',
  required: ['step'],
  additionalProperties: false,
  properties: {
    step: {
      description: `The step that runs this stage: one of ${registry.steps.map((s) => s.name).join(', ')}, or a path to a local module (./my-step.ts) whose default export is a step.`,
      anyOf: [{ enum: registry.steps.map((s) => s.name) }, { type: 'string', pattern: LOCAL_STEP }],
    },
    with: { type: 'object', description: "The step's parameters (see the step's reference)." },
    resource: { type: 'string', description: "Resource pool for this stage's heavy work (a key of `resources`); defaults to the step's." },
    description: { type: 'string', description: 'Free text shown by `pipeline plan`.' },
  },
  allOf: registry.steps.map((s) => ({
    if: { properties: { step: { const: s.name } }, required: ['step'] },
    then: { properties: { with: { ...s.schema, description: s.description } } },
  })),
});

/** The whole pipeline schema. `$id` lets editors cache it. */
export function pipelineSchema(registry: Registry): TSchema {
  const sections = Object.fromEntries(registry.sections.map((s) => [s.key, { ...s.schema, description: s.description }]));
  const schema = Type.Object(
    {
      name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'Pipeline name (letters, digits, _ . -).' }),
      description: Type.Optional(Type.String({ description: 'What this pipeline is for.' })),
      workdir: Type.String({
        default: '.',
        description: 'Working directory, relative to this file. Relative paths everywhere else (data, backbone, outputs) resolve against it.',
      }),
      paths: Type.Object(
        {
          data: Type.String({ default: 'data', description: 'Data sets and derived splits (lasting).' }),
          experiments: Type.String({ default: 'experiments', description: 'The lasting record: SQLite store and registered models.' }),
          outputs: Type.String({ default: 'outputs', description: "The latest run's artifacts, logs and stage cache." }),
        },
        { default: {}, additionalProperties: false, description: 'Where the pipeline keeps its files (relative to workdir).' },
      ),
      resources: namedMap(STAGE_NAME, Type.Integer({ minimum: 1, description: 'Tasks of this resource that run at once.' }), {
        default: { cpu: 2, gpu: 1 },
        description: 'Resource pools and their sizes; heavy work is queued per pool (e.g. { cpu: 2, gpu: 1 }).',
      }),
      stages: namedMap(STAGE_NAME, stageSchema(registry), {
        minProperties: 1,
        description: 'The stages, in the order they run. Each names a step and its parameters.',
      }),
    },
    { additionalProperties: false },
  );
  const properties = { ...(schema.properties as Record<string, TSchema>), ...sections };
  const required = [...((schema as { required?: string[] }).required ?? []), ...registry.sections.filter((s) => s.required).map((s) => s.key)];
  return relaxDefaults({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Pipeline file',
    description: 'A declarative ML pipeline: stages run in order, each by a registered step.',
    ...schema,
    properties,
    required,
  });
}

/** Properties that have a default are not required: ajv (useDefaults) fills them in, and editors should not nag. */
export function relaxDefaults<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(relaxDefaults) as T;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = relaxDefaults(v);
  const props = out.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(out.required) && props) {
    out.required = (out.required as string[]).filter((k) => props[k]?.default === undefined);
  }
  return out as T;
}

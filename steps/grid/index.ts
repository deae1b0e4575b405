/**
 * Stage `grid`: expands architectures x hyperparameter combinations x folds into named runs for `train`.
 * Checked before anything runs: every architecture must be declared, every run must get lr, epochs, batch_size.
 */
import path from 'node:path';
import { Type, type TSchema } from '../../runner/schema-builder.ts';
import { hyperparamsSchema } from '../../ml/training/hyperparams.ts';
import { didYouMean } from '../../runner/config/suggest.ts';
import { writeJsonAtomic } from '../../lib/fs-atomic.ts';
import { defineStep, type StepCheckIssue } from '../../runner/step.ts';
import { architecturesSection, type ArchitectureEntry } from '../sections/architectures.ts';
import type { SplitResult } from '../split/split-result.ts';
import { expandGrid, type ParamGrid } from './expand.ts';
import type { GridResult } from './grid-result.ts';

const hyperProps = (hyperparamsSchema as unknown as { properties: Record<string, TSchema> }).properties;
const HYPER_KEYS = Object.keys(hyperProps);
const REQUIRED = ((hyperparamsSchema as unknown as { required?: string[] }).required ?? []) as string[];

/** Each hyperparameter takes one value or a list of values to try. */
const paramGridSchema = Type.Object(
  Object.fromEntries(
    HYPER_KEYS.map((k) => {
      const one = hyperProps[k];
      return [k, Type.Optional(Type.Unsafe({ description: `${(one as { description?: string }).description ?? k} One value, or a list of values to try.`, anyOf: [one, Type.Array(one, { minItems: 1 })] }))];
    }),
  ),
  { additionalProperties: false, description: 'Hyperparameter grid: each key takes one value or a list; every combination is tried.' },
);

const schema = Type.Object(
  {
    architectures: Type.Array(
      Type.Union([
        Type.String({ description: 'An architecture declared under `architectures:`.' }),
        Type.Object(
          {
            name: Type.String({ description: 'An architecture declared under `architectures:`.' }),
            params: Type.Optional(paramGridSchema),
          },
          { additionalProperties: false, description: 'An architecture with its own grid (merged over the shared `params`).' },
        ),
      ]),
      { minItems: 1, description: 'Architectures to try (names from the `architectures:` section).' },
    ),
    params: paramGridSchema,
    folds: Type.Union([Type.Literal('all'), Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 })], {
      default: 'all',
      description: "Which folds to train: 'all' or a list of 1-based fold numbers.",
    }),
  },
  { additionalProperties: false },
);

/** The `with:` block as validated (the schema's static type, spelled out for readability). */
interface GridParams {
  readonly architectures: readonly (string | { readonly name: string; readonly params?: ParamGrid })[];
  readonly params: ParamGrid;
  readonly folds: 'all' | readonly number[];
}

function archList(params: GridParams): { name: string; params?: ParamGrid }[] {
  return params.architectures.map((a) => (typeof a === 'string' ? { name: a } : a));
}

export const gridStep = defineStep({
  name: 'grid',
  version: 1,
  description: 'Expand architectures x hyperparameter combinations x folds into named training runs.',
  schema,
  needs: ['split'],
  reads: [architecturesSection],
  check(raw, ctx) {
    const params = raw as unknown as GridParams;
    const declared = Object.keys((ctx.section(architecturesSection) ?? {}) as Record<string, unknown>);
    const issues: StepCheckIssue[] = [];
    const lacking = new Map<string, string[]>();
    archList(params).forEach((a, i) => {
      if (!declared.includes(a.name)) {
        const at = typeof params.architectures[i] === 'string' ? ['architectures', i] : ['architectures', i, 'name'];
        issues.push({ path: at, message: `architecture '${a.name}' is not declared under architectures:${didYouMean(a.name, declared)}` });
      }
      const merged = { ...params.params, ...a.params };
      const missing = REQUIRED.filter((k) => !(k in merged)).join(', ');
      if (missing) lacking.set(missing, [...(lacking.get(missing) ?? []), a.name]);
    });
    for (const [missing, archs] of lacking) {
      issues.push({ path: ['params'], message: `no value for ${missing} (needed by ${archs.join(', ')}): add it to params, or to an architecture's own params` });
    }
    return issues;
  },
  async run(ctx, raw) {
    const params = raw as unknown as GridParams;
    const split = ctx.input<SplitResult>('split');
    const archSection = ctx.section(architecturesSection) as Record<string, ArchitectureEntry>;
    const folds = params.folds === 'all' ? Array.from({ length: split.folds }, (_, i) => i + 1) : params.folds;
    const bad = folds.filter((f) => f > split.folds);
    if (bad.length) throw new Error(`folds ${bad.join(', ')} do not exist: the split stage made ${split.folds} folds`);
    const runs = expandGrid({ architectures: archList(params), params: params.params, folds }, HYPER_KEYS);
    const architectures = Object.fromEntries(archList(params).map((a) => [a.name, archSection[a.name]]));
    const result: GridResult = { runs, architectures };
    const file = path.join(ctx.paths.outputs, 'grid', 'runs.json');
    writeJsonAtomic(file, result);
    const combos = new Set(runs.map((r) => `${r.architecture}_${r.combination}`)).size;
    ctx.log.info(`${runs.length} runs: ${archList(params).length} architectures, ${combos} combinations, ${folds.length} folds`);
    return { result, outputs: [file] };
  },
});

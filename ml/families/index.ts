/**
 * The architecture families, listed explicitly. To add one: write `<name>.ts` exporting a `Family` and add it here.
 */
import { Type, type TSchema } from '../../runner/schema-builder.ts';
import { cnn } from './cnn.ts';
import type { Family } from './family.ts';
import { finetune } from './finetune.ts';
import { head } from './head.ts';

export type { BackboneRef, BuildDims, Family, OnnxEnv, Tf } from './family.ts';

export const families: readonly Family[] = [head, cnn, finetune];

/** The family called `name`, or an error listing the known ones. */
export function getFamily(name: string): Family {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`unknown architecture family '${name}': known families are ${families.map((f) => f.name).join(', ')}`);
  return found;
}

/**
 * The schema of one `architectures:` entry: `family` must name a registered family, and `allOf` applies that
 * family's own schema, so a validator with allErrors points at the exact bad property of a layer spec.
 */
export function architectureSchema(): TSchema {
  const names = families.map((f) => f.name);
  return Type.Unsafe({
    type: 'object',
    description: `An architecture: 'family' picks one of ${names.join(', ')}; the other properties belong to that family.`,
    required: ['family'],
    properties: {
      family: { type: 'string', enum: names, description: `Architecture family: one of ${names.join(', ')}.` },
    },
    allOf: families.map((f) => ({ if: { properties: { family: { const: f.name } }, required: ['family'] }, then: f.schema })),
  });
}

/** The `data:` section: where the photos are and which part of them to use. */
import { StringEnum, Type, type Static } from '../../runner/schema-builder.ts';
import { defineSection } from '../../runner/step.ts';

export const dataSection = defineSection({
  key: 'data',
  required: true,
  description: 'The data set: a Food-101-layout folder (images/<class>/<id>.jpg + meta/) or a plain <class>/*.jpg folder.',
  schema: Type.Object(
    {
      root: Type.String({ minLength: 1, description: 'Data set folder (relative to workdir). Use ${FOOD101_DIR:-...} to let an env var override it.' }),
      name: Type.Optional(
        Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'Data set name used in dataset versions and experiment names (default: the folder name).' }),
      ),
      layout: StringEnum(['auto', 'food101', 'folder'], {
        default: 'auto',
        description: "'food101' (meta/classes.txt, meta/train.txt, meta/test.txt, images/), 'folder' (<class>/*.jpg), or 'auto' (food101 when meta/classes.txt exists).",
      }),
      subset: Type.Object(
        {
          classes: Type.Union([Type.Literal('all'), Type.Integer({ minimum: 2 }), Type.Array(Type.String(), { minItems: 2 })], {
            default: 'all',
            description: "'all', a count (the first N classes in class order), or a list of class names.",
          }),
          fraction: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 1, description: 'Fraction of each class to keep (train and test alike), sampled with `seed`.' }),
          seed: Type.Integer({ default: 42, description: 'Seed for the fraction sample.' }),
        },
        { default: {}, additionalProperties: false, description: 'Use part of the data set (for quick experiments).' },
      ),
      test_fraction: Type.Number({
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        default: 0.25,
        description: "Share of each class held out for test in the 'folder' layout (Food-101 has its own test list).",
      }),
    },
    { additionalProperties: false },
  ),
});

export type DataSection = Static<typeof dataSection.schema>;

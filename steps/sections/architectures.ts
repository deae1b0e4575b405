/** The `architectures:` section: named model architectures the grid can use, each of a registered family. */
import { architectureSchema } from '../../ml/families/index.ts';
import { namedMap } from '../../runner/config/schema.ts';
import { defineSection } from '../../runner/step.ts';

export const architecturesSection = defineSection({
  key: 'architectures',
  description:
    "Named architectures. Family 'head': dense layers on frozen backbone features (`layers: []` is a linear softmax classifier). " +
    "Family 'cnn': a small VGG-style net trained from pixels. " +
    "Family 'finetune': the backbone's last 1x1 convolutions (from a tapped tensor, dequantized) and a head, trained together. " +
    'Add one here, then list it in the grid stage.',
  schema: namedMap('^[a-z][a-z0-9_]*$', architectureSchema(), { minProperties: 1 }),
});

/** One architecture entry as validated (its family's schema decides the rest). */
export interface ArchitectureEntry {
  readonly family: string;
  readonly [key: string]: unknown;
}

/** The `store:` section: which database holds tracking, registry, features and predictions. */
import { Type } from '../../runner/schema-builder.ts';
import { defineSection } from '../../runner/step.ts';

export const storeSection = defineSection({
  key: 'store',
  description: 'Where the lasting record lives: an embedded SQLite file (default) or a PostgreSQL server shared by several machines.',
  schema: Type.Object(
    {
      url: Type.Optional(
        Type.String({
          minLength: 1,
          description:
            "sqlite:<file> (relative to workdir) or postgres://user:pass@host:5432/db[?schema=name]. Default: ${MLOPS_STORE_URL:-sqlite:<paths.experiments>/mlops.db}.",
        }),
      ),
    },
    { additionalProperties: false },
  ),
});

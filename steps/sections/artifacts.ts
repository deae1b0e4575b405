/** The `artifacts:` section: where lasting artifacts (registered model files) are stored, and the local cache. */
import { Type, type Static } from '../../runner/schema-builder.ts';
import { defineSection } from '../../runner/step.ts';

export const artifactsSection = defineSection({
  key: 'artifacts',
  description:
    'The artifact store that registered model files go to, and where a server caches what it fetches from it (verified by sha256). ' +
    'S3 settings come from the environment: AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, MLOPS_S3_FORCE_PATH_STYLE.',
  schema: Type.Object(
    {
      url: Type.String({
        pattern: '^(?:s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?:/.*)?|file:.+|[^:]+)$',
        default: 'experiments/artifacts',
        description: 'A directory (a plain path or file:<path>, relative to workdir) or s3://bucket/prefix. The file can say ${MLOPS_ARTIFACTS_URL:-experiments/artifacts}.',
      }),
      cache: Type.String({
        minLength: 1,
        default: 'experiments/cache/artifacts',
        description: 'Local cache of fetched artifacts (relative to workdir); a server fetches each model version into it once.',
      }),
    },
    { default: {}, additionalProperties: false },
  ),
});

export type ArtifactsSection = Static<typeof artifactsSection.schema>;

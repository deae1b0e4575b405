/** `register.with.monitoring_profile`: the reference profile computed for monitoring when a version is registered. */
import { Type, type Static } from '../../runner/schema-builder.ts';

export const monitoringProfileSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Compute the version\'s monitoring reference profile from its test split at registration (`pipeline monitor profile` does it later).' }),
    dim: Type.Integer({ minimum: 16, maximum: 64, default: 32, description: 'Dimensions of the PCA projection of the penultimate features that the prediction log keeps.' }),
    max_train: Type.Integer({ minimum: 20, default: 400, description: 'Training photos (seeded sample) the projection and class centroids are fitted on.' }),
  },
  { additionalProperties: false, default: {}, description: 'The monitoring reference profile of the new version (input statistics, embedding projection, class and confidence distributions, out-of-scope calibration), from its test split.' },
);

export type MonitoringProfileParams = Static<typeof monitoringProfileSchema>;

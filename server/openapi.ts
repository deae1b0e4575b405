/**
 * The OpenAPI 3.0 description of the service, built from the running configuration (top-k, limits), served at
 * `/openapi.json`. OpenAPI 3.0 has no `type: null`: nullable fields use `nullable: true`.
 */
import type { ResolvedServeOptions } from './config.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = (description: string) => ({ type: 'string', description });
const int = (description: string) => ({ type: 'integer', description });
const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } });
const err = (description: string) => json(ref('Error'), description);

const errorObject = {
  type: 'object',
  required: ['status', 'code', 'message'],
  properties: { status: int('HTTP status.'), code: str('Stable machine-readable code, e.g. UNSUPPORTED_MEDIA_TYPE.'), message: str('What is wrong and what to do.') },
};

const modelHeaders = {
  'X-Model-Alias': { description: 'Alias that served the request.', schema: { type: 'string' } },
  'X-Model-Version': { description: 'Registered version that served the request.', schema: { type: 'string' } },
  'X-Request-Id': { description: 'The request id (echoes a valid incoming X-Request-Id).', schema: { type: 'string' } },
};

export function openApiDocument(o: ResolvedServeOptions): object {
  const mb = (o.maxBodyBytes / 1024 / 1024).toFixed(1);
  const uploadErrors = {
    '400': err("Not multipart, malformed multipart, no or empty 'file' field."),
    '413': err(`Body over ${mb} MB, or an image over ${(o.maxPixels / 1e6).toFixed(1)} megapixels (read from its header).`),
    '415': err('Not a JPEG, PNG or WebP image (decided from the bytes, not the declared type).'),
    '422': err('A JPEG/PNG/WebP that is truncated or corrupt.'),
    '503': err('No model loaded yet, shutting down, or overloaded (see Retry-After).'),
  };
  const multipart = (many: boolean) => ({
    required: true,
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['file'],
          properties: {
            file: many
              ? { type: 'array', maxItems: o.maxBatchFiles, items: { type: 'string', format: 'binary' }, description: "Repeat the field 'file' once per image." }
              : { type: 'string', format: 'binary', description: 'A JPEG, PNG or WebP image.' },
          },
        },
      },
    },
  });
  return {
    openapi: '3.0.3',
    info: {
      title: 'Food-101 inference service',
      version: '1.0.0',
      description: `Classifies food photos with the registered model '${o.modelName}' under alias '${o.alias}'. Returns the top ${o.topK} classes.`,
    },
    paths: {
      '/health': { get: { summary: 'Liveness (ok even while the model loads).', responses: { '200': json(ref('Health'), 'Alive.') } } },
      '/ready': {
        get: {
          summary: 'Readiness: 200 once a model is loaded.',
          responses: { '200': json(ref('Ready'), 'Ready to predict.'), '503': json(ref('NotReady'), 'No model loaded yet, or shutting down.') },
        },
      },
      '/predict': {
        post: {
          summary: 'Classify one image.',
          requestBody: multipart(false),
          responses: { '200': { ...json(ref('Prediction'), `Top ${o.topK} classes.`), headers: modelHeaders }, ...uploadErrors },
        },
      },
      '/predict/batch': {
        post: {
          summary: `Classify up to ${o.maxBatchFiles} images; each result is a prediction or an error, in upload order.`,
          requestBody: multipart(true),
          responses: { '200': { ...json(ref('BatchResponse'), 'One result per file.'), headers: modelHeaders }, ...uploadErrors },
        },
      },
      '/models': { get: { summary: 'Loaded models and the last hot-swap failure.', responses: { '200': json(ref('Models'), 'Serving slots.') } } },
      '/feedback': {
        post: {
          summary: 'The true label of a logged prediction (ground truth), by the request id the server answered with.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['request_id', 'label'], properties: { request_id: { type: 'string' }, label: { oneOf: [{ type: 'string' }, { type: 'integer' }], description: 'Class name or id.' } } } } },
          },
          responses: {
            '200': json({ type: 'object' }, 'Recorded (a second label for the same request replaces the first).'),
            '404': json(ref('Error'), 'UNKNOWN_REQUEST: no prediction has that request id.'),
            '422': json(ref('Error'), 'UNKNOWN_LABEL: not a class of the model that answered.'),
          },
        },
      },
      '/rollout': { get: { summary: "The model's newest rollout: phase, weights, steps, per-variant metrics, analysis, events.", responses: { '200': json({ type: 'object' }, 'Rollout status (null when there never was one).') } } },
      '/metrics': { get: { summary: 'Prometheus metrics.', responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document.', responses: { '200': json({ type: 'object' }, 'OpenAPI 3.0 document.') } } },
    },
    components: {
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: errorObject } },
        Health: {
          type: 'object',
          required: ['status', 'model_name', 'model_version', 'alias'],
          properties: {
            status: { type: 'string', enum: ['ok'] },
            model_name: { type: 'string', nullable: true },
            model_version: { type: 'integer', nullable: true },
            alias: { type: 'string', nullable: true },
          },
        },
        Ready: {
          type: 'object',
          required: ['ready', 'model_name', 'model_version', 'alias'],
          properties: { ready: { type: 'boolean', enum: [true] }, model_name: { type: 'string' }, model_version: { type: 'integer' }, alias: { type: 'string' } },
        },
        NotReady: {
          type: 'object',
          required: ['ready', 'error'],
          properties: { ready: { type: 'boolean', enum: [false] }, error: errorObject },
        },
        ClassProb: {
          type: 'object',
          required: ['id', 'class', 'prob'],
          properties: { id: int('Class index.'), class: str('Class name.'), prob: { type: 'number', minimum: 0, maximum: 1, description: 'Softmax probability.' } },
        },
        Prediction: {
          type: 'object',
          required: ['request_id', 'served_alias', 'model_version', 'predictions', 'latency_ms'],
          properties: {
            request_id: str('Unique id of this prediction (also in the prediction log).'),
            served_alias: str('Alias that served it.'),
            model_version: int('Registered model version that served it.'),
            predictions: { type: 'array', maxItems: o.topK, items: ref('ClassProb'), description: 'Most probable first.' },
            latency_ms: { type: 'number', description: 'Server-side time from request arrival to answer.' },
          },
        },
        BatchResponse: {
          type: 'object',
          required: ['results'],
          properties: { results: { type: 'array', items: { oneOf: [ref('Prediction'), ref('Error')] } } },
        },
        Models: {
          type: 'object',
          required: ['routed_alias', 'cpu', 'models'],
          properties: {
            routed_alias: str('Alias /predict uses.'),
            cpu: {
              type: 'object',
              description: 'The CPU this replica is given (cgroup quota, CPU affinity), the settings derived from it, and those it runs with (explicit options win).',
              required: ['cpus', 'source', 'affinity', 'derived', 'running'],
              properties: {
                cpus: { type: 'integer' },
                source: { type: 'string', enum: ['cgroup v2', 'cgroup v1', 'affinity'] },
                quota: { type: ['number', 'null'] },
                affinity: { type: 'integer' },
                derived: { type: 'object', additionalProperties: { type: 'integer' } },
                running: { type: 'object', additionalProperties: { type: 'integer' } },
              },
            },
            models: {
              type: 'array',
              items: {
                type: 'object',
                required: ['alias', 'loaded', 'last_swap_error'],
                properties: {
                  alias: { type: 'string' },
                  loaded: { type: 'boolean' },
                  model_name: { type: 'string' },
                  model_version: { type: 'integer' },
                  sha256: { type: 'string' },
                  file: { type: 'string' },
                  input: { type: 'string' },
                  output: { type: 'string' },
                  labels_count: { type: 'integer' },
                  preprocessing: { type: 'object', properties: { id: { type: 'string' }, spec: { type: 'object' } } },
                  loaded_at: { type: 'string', format: 'date-time' },
                  in_flight: { type: 'integer' },
                  last_swap_error: {
                    type: 'object',
                    nullable: true,
                    properties: { at: { type: 'string', format: 'date-time' }, version: { type: 'integer', nullable: true }, step: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

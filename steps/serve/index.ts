/**
 * Stage `serve`: the Koa inference service over the registry's model (default alias `champion`), with every
 * prediction logged to the store (committed before the answer by default: `log_durability`). Never cached; runs until SIGTERM/SIGINT, then drains in-flight
 * requests and flushes the prediction log. `pipeline serve` is a shortcut for `pipeline run <file> --only serve`.
 */
import { Type, type Static } from '../../runner/schema-builder.ts';
import { defineStep } from '../../runner/step.ts';
import { artifactsSection } from '../sections/artifacts.ts';
import { dashboardSchema } from './dashboard-schema.ts';
import { monitoringSchema } from './monitoring-schema.ts';
import { rolloutSchema } from './rollout-schema.ts';
import { specIssues } from '../../rollouts/spec.ts';

const schema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8000, description: 'Port to listen on (0: any free port). The file can say ${PORT:-8000}.' }),
    host: Type.String({ default: '127.0.0.1', description: 'Interface to listen on: 127.0.0.1, or 0.0.0.0 in a container.' }),
    model: Type.String({ default: 'food101', description: 'Registered model name.' }),
    alias: Type.String({ default: 'champion', description: 'Alias (or version number) to serve; the server follows it when it moves.' }),
    top_k: Type.Integer({ minimum: 1, default: 5, description: 'Classes returned per prediction (from config only, never from the request).' }),
    max_body_mb: Type.Number({ exclusiveMinimum: 0, default: 10, description: 'Largest request body (413 above it).' }),
    max_megapixels: Type.Number({
      exclusiveMinimum: 0,
      default: 40,
      description: 'Largest baseline JPEG, read from its header before decoding (413 above it); it shrinks while decoding, so 40 costs like a 5 MP PNG.',
    }),
    max_full_decode_megapixels: Type.Number({
      exclusiveMinimum: 0,
      default: 16,
      description: 'Largest PNG, WebP or progressive JPEG (413 above it): these decode every pixel, so their cost grows with the pixel count.',
    }),
    deadline_ms: Type.Integer({
      minimum: 1,
      default: 5000,
      description: 'Per-request deadline once the body has arrived (decode, queue, inference); past it: 503 DEADLINE_EXCEEDED, work abandoned, memory freed.',
    }),
    upload_budget_mb: Type.Number({
      exclusiveMinimum: 0,
      default: 32,
      description: 'Request bodies the whole process holds at once (reserved from Content-Length before reading); full: stalled uploads dropped, else 503 + Retry-After. Must be >= max_body_mb.',
    }),
    upload_stall_ms: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'An upload idle this long (or under 16 KiB/s after this long) is dropped (503 + Retry-After) when its memory is needed by a new request.',
    }),
    body_idle_timeout_ms: Type.Integer({ minimum: 1, default: 10000, description: 'An upload that receives no byte for this long is dropped (408).' }),
    headers_timeout_ms: Type.Integer({ minimum: 1, default: 10000, description: 'The request header must arrive within this (Node headersTimeout).' }),
    request_timeout_ms: Type.Integer({ minimum: 1, default: 60000, description: 'The whole request, header and body, must arrive within this (Node requestTimeout).' }),
    inference_timeout_ms: Type.Integer({
      minimum: 1,
      default: 10000,
      description: 'An onnxruntime run longer than this is a hung inference worker: terminated and restarted (requests in flight get 503 + Retry-After).',
    }),
    max_in_flight: Type.Integer({ minimum: 1, default: 256, description: 'Requests processed at once (body received) before new ones get 503 + Retry-After.' }),
    max_batch: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Micro-batching: most requests per onnxruntime run (memory grows with it: 16 with a flip-TTA model is ~90 MB more). Default: derived from the CPU given (4 on 2-3 CPUs, where two inference workers each run one; 8 on one CPU; 16 from 4: GET /models shows it).',
      }),
    ),
    inference_workers: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Inference worker threads of the served model, each running its own batch, so one batch computes while the next forms (each holds its own session: peak RSS 410 MB with two against 355 MB with one in the benchmark). Default: derived from the CPU given (2 from 2 CPUs, else 1: GET /models shows it).',
      }),
    ),
    max_wait_ms: Type.Number({ minimum: 0, default: 2, description: 'Micro-batching: how long an idle model waits for requests still being decoded, to run them as one batch.' }),
    log_durability: Type.Union([Type.Literal('answered'), Type.Literal('buffered')], {
      default: 'answered',
      description:
        "answered: a prediction's row is committed before its answer is sent (rows of concurrent requests share one transaction), so a replica killed at any moment loses no answered prediction; a row that cannot be committed fails its request with 503 + Retry-After. buffered: rows are written in the background (up to 500 ms later, faster), and those still buffered are lost if the process is killed.",
    }),
    drain_delay_ms: Type.Integer({
      minimum: 0,
      default: 5000,
      description:
        'After SIGTERM: how long /ready says 503 while every request is still answered (with Connection: close), so load balancers and Kubernetes endpoints stop sending here first; pipeline k8s render sizes preStop and terminationGracePeriodSeconds from it.',
    }),
    drain_timeout_ms: Type.Integer({
      minimum: 0,
      default: 10000,
      description: 'Then: how long new requests are refused (503, resent elsewhere by the balancer) while those in flight finish, at most.',
    }),
    poll_ms: Type.Integer({ minimum: 0, default: 2000, description: 'How often to check the registry for alias moves (hot swap); 0 disables.' }),
    dashboard: dashboardSchema,
    monitoring: monitoringSchema,
    rollout: Type.Optional(rolloutSchema),
    rollout_controller: Type.Boolean({ default: true, description: 'Run the rollout controller in this server (with several replicas, one holds the lease and acts).' }),
  },
  { additionalProperties: false },
);

export type ServeParams = Static<typeof schema>;

export const serveStep = defineStep({
  name: 'serve',
  version: 1,
  description: "Serve the registry's model over HTTP (POST /predict) until stopped.",
  schema,
  cache: false,
  reads: [artifactsSection],
  check: (p) => (p.rollout ? specIssues(p.rollout as Parameters<typeof specIssues>[0]).map((i) => ({ path: ['rollout', ...i.path], message: i.message })) : []),
  run: async (ctx, p) => (await import('./run.ts')).runServe(ctx, p),
});

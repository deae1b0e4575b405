/** The inference service: `createApp` for in-process use and tests, `startServer` for the CLI and serve stage. */
export { createApp, type AppDeps, type ServeApp } from './app.ts';
export { startServer, type RunningServer, type StartOptions } from './start.ts';
export { SERVE_DEFAULTS, resolveServeOptions, type ResolvedServeOptions, type ServeOptions } from './config.ts';
export { HttpError, type ErrorBody } from './errors.ts';
export { consoleLogger, memoryLogger, type ServerLogger } from './logger.ts';
export { staticModelSource, modelFilePath, type ModelSource, type ResolvedModel, type StaticVersion } from './model-source.ts';
export { ModelHolder, type ModelLease, type SwapFailure } from './model-holder.ts';
export { loadModel, ModelLoadError, type LoadedModel } from './model-loader.ts';
export { memorySink, nullSink, type PredictionRecord, type PredictionSink } from './prediction-sink.ts';
export { serverTensor, topK, type ClassProb, type PredictionResult } from './predictor.ts';

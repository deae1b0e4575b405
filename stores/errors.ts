/**
 * Coded errors of the stores. They extend the project's `PipelineError` so the CLI prints them like any other
 * coded error; the `code` is stable (tests and callers switch on it), the message says what to do.
 */
import { PipelineError } from '../runner/errors.ts';

export type StoreErrorCode =
  | 'TRACKING_UNKNOWN_EXPERIMENT'
  | 'TRACKING_UNKNOWN_RUN'
  | 'TRACKING_RUN_NOT_ACTIVE'
  | 'TRACKING_INVALID_STATUS'
  | 'TRACKING_INVALID_INPUT'
  | 'REGISTRY_INVALID_NAME'
  | 'REGISTRY_INVALID_ALIAS'
  | 'REGISTRY_INVALID_SOURCE'
  | 'REGISTRY_UNKNOWN_MODEL'
  | 'REGISTRY_UNKNOWN_VERSION'
  | 'REGISTRY_UNKNOWN_ALIAS'
  | 'REGISTRY_NO_CHALLENGER'
  | 'REGISTRY_NO_PREVIOUS_CHAMPION'
  | 'REGISTRY_GATE_REFUSED'
  | 'FEATURES_MISSING'
  | 'FEATURES_DIM_MISMATCH'
  | 'PREDICTIONS_WRITER_CLOSED'
  | 'MLFLOW_EXPORT_TARGET_EXISTS'
  | 'DATA_INVALID_VERSION'
  | 'DATA_VERSION_CONFLICT'
  | 'DATA_UNKNOWN_VERSION'
  | 'STORE_URL_INVALID'
  | 'STORE_OPEN_FAILED'
  | 'STORE_BUSY'
  | 'STORE_MIGRATION_FAILED';

export class StoreError extends PipelineError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** An experiment, run, model, version or alias that does not exist. */
export class NotFoundError extends StoreError {}

/** A state transition that is not allowed now (no challenger to promote, run already ended, ...). */
export class InvalidStateError extends StoreError {}

/** A name, alias, status or input that is malformed. */
export class InvalidInputError extends StoreError {}

/** Promotion refused by the metric gate; carries both values so callers can report them. */
export class GateRefusedError extends StoreError {
  readonly metric: string;
  readonly challengerValue: number | undefined;
  readonly championValue: number | undefined;
  constructor(message: string, detail: { metric: string; challengerValue: number | undefined; championValue: number | undefined }) {
    super('REGISTRY_GATE_REFUSED', message);
    this.metric = detail.metric;
    this.challengerValue = detail.challengerValue;
    this.championValue = detail.championValue;
  }
}

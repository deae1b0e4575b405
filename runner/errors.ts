/**
 * Coded error classes, in one place. Every error the CLI prints comes from here (or is wrapped by one of these),
 * so the message always names what is at fault and what to do.
 */

/** A problem located in a pipeline file (or a --set override). */
export interface ConfigIssue {
  /** File the problem is in (or `--set`). */
  readonly file: string;
  /** 1-based line and column, when known. */
  readonly line?: number;
  readonly col?: number;
  /** Key path, e.g. `stages.train.with.lr`. */
  readonly path: string;
  readonly message: string;
}

export class PipelineError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The pipeline file is invalid; carries every issue found in one pass. */
export class ConfigError extends PipelineError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}

/** The command line is wrong (unknown stage in --only, bad --set syntax, ...). */
export class UsageError extends PipelineError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A stage failed; the original error is kept as `cause`. */
export class StageError extends PipelineError {
  readonly stage: string;
  constructor(stage: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('STAGE_FAILED', `stage '${stage}' failed: ${why}`, { cause });
    this.stage = stage;
  }
}

/** A stage needs the result of an earlier stage that is missing or out of date. */
export class MissingInputError extends PipelineError {
  constructor(message: string) {
    super('MISSING_INPUT', message);
  }
}

/** Input data (an image, a file on disk) is unusable; names the input. */
export class DataError extends PipelineError {
  constructor(message: string, options?: ErrorOptions) {
    super('DATA_INVALID', message, options);
  }
}

/** The run was interrupted (SIGINT/SIGTERM). */
export class InterruptedError extends PipelineError {
  constructor(message = 'interrupted') {
    super('INTERRUPTED', message);
  }
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line ? `${issue.file}:${issue.line}:${issue.col ?? 1}` : issue.file;
  return `${where} ${issue.path || '(root)'}: ${issue.message}`;
}

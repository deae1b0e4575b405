/** Name rules of the registry and the promotion gate. */
import { GateRefusedError, InvalidInputError } from './errors.ts';
import type { PromoteOptions } from './registry-types.ts';

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ALIAS_NAME = /^[a-z][a-z0-9_-]{0,63}$/;
/** Would be read as a version reference (MLflow reserves these too). */
const VERSION_LIKE = /^(v\d+|latest)$/;

export function checkModelName(name: string): void {
  if (!MODEL_NAME.test(name)) {
    throw new InvalidInputError('REGISTRY_INVALID_NAME', `invalid model name '${name}': use letters, digits, '_', '.', '-' (it becomes a directory name)`);
  }
}

export function checkAlias(alias: string): void {
  if (!ALIAS_NAME.test(alias) || VERSION_LIKE.test(alias)) {
    throw new InvalidInputError('REGISTRY_INVALID_ALIAS', `invalid alias '${alias}': use [a-z][a-z0-9_-]*, not 'latest' or 'v<N>' (those read as versions)`);
  }
}

export function gateRefusal(
  name: string, opts: PromoteOptions, v: { challenger: number; champion: number; cv: number | undefined; pv: number | undefined },
): GateRefusedError | undefined {
  const detail = { metric: opts.metric, challengerValue: v.cv, championValue: v.pv };
  const show = (x: number | undefined) => (x === undefined ? 'missing' : String(x));
  const values = `challenger v${v.challenger} ${opts.metric}=${show(v.cv)}, champion v${v.champion} ${opts.metric}=${show(v.pv)}`;
  if (v.cv === undefined || v.pv === undefined) {
    return new GateRefusedError(`cannot compare '${name}' versions on '${opts.metric}' (${values}): record the metric at registration, or use --force to promote anyway`, detail);
  }
  const higher = opts.higherIsBetter ?? true;
  const delta = higher ? v.cv - v.pv : v.pv - v.cv;
  if (delta > opts.minDelta) return undefined;
  return new GateRefusedError(
    `promotion of '${name}' refused: ${values}; the challenger must be ${higher ? 'higher' : 'lower'} by more than min_delta ${opts.minDelta} (improvement ${Number(delta.toPrecision(6))}): use --force to promote anyway`,
    detail,
  );
}

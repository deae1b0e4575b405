/**
 * What the train stage says while it works: progress in epochs (the unit that moves every few seconds, so rate and
 * ETA are honest; a run that stops early gives back its remaining epochs), runs done/total and the epoch of each
 * run in flight, and once, when the first run starts, the backend it trains on and how to get a faster one.
 */
import { fasterBackendHint } from '../../ml/backends/faster-hint.ts';
import type { EpochMetrics } from '../../ml/training/types.ts';
import type { StepContext } from '../../runner/context.ts';
import type { TrainHooks } from './track-run.ts';

export class TrainProgress {
  readonly #ctx: StepContext;
  readonly #bar: ReturnType<StepContext['progress']>;
  readonly #inFlight = new Map<string, { epoch: number; of: number }>();
  readonly #runs: number;
  #done: number;
  #backendSaid = false;

  /** `runs`: all runs of this stage; `toTrain`: those that will train, with their epoch budget. */
  constructor(ctx: StepContext, runs: number, toTrain: readonly { name: string; epochs: number }[]) {
    this.#ctx = ctx;
    this.#runs = runs;
    this.#done = runs - toTrain.length;
    this.#bar = ctx.progress('training', toTrain.reduce((n, r) => n + r.epochs, 0), 'epochs');
    this.#note();
  }

  /** Hooks for one run with an epoch budget of `epochs`. */
  hooks(name: string, epochs: number): TrainHooks & { finished(): void } {
    return {
      onBackend: (b) => {
        if (this.#backendSaid) return;
        this.#backendSaid = true;
        this.#ctx.log.info(`training on the ${b.name} backend (${b.detail}); ${fasterBackendHint(b.name)}`);
      },
      onEpoch: (e: EpochMetrics) => {
        this.#inFlight.set(name, { epoch: e.epoch, of: epochs });
        this.#bar.tick(1);
        this.#note();
      },
      finished: () => {
        const seen = this.#inFlight.get(name)?.epoch ?? 0;
        this.#bar.tick(Math.max(0, epochs - seen)); // early stopping: the budget not used is done too
        this.#inFlight.delete(name);
        this.#done++;
        this.#note();
      },
    };
  }

  done(): void {
    this.#bar.done();
  }

  #note(): void {
    const flying = [...this.#inFlight.entries()].map(([n, e]) => `${n} epoch ${e.epoch}/${e.of}`);
    this.#bar.note(`runs ${this.#done}/${this.#runs} done${flying.length ? `, in flight: ${flying.join(', ')}` : ''}`);
  }
}

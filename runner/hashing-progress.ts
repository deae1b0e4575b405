/**
 * Progress for the hashing of a stage's input files while its key is computed: a first run over a large data set
 * (100k photos) hashes every file, which takes long enough to need a progress line. Nothing is shown for small
 * inputs (cache-key.ts reports only between chunks) or when the file-hash memo makes hashing a matter of stats.
 */
import type { LogSink } from './logger.ts';
import { createProgress } from './progress.ts';

export function hashingProgress(sink: LogSink, stage: string): { onProgress(done: number, total: number): void; done(): void } {
  let bar: ReturnType<typeof createProgress> | undefined;
  let last = 0;
  return {
    onProgress(done, total) {
      bar ??= createProgress(sink, stage, 'hashing inputs', total, 'files');
      bar.tick(done - last);
      last = done;
    },
    done() {
      bar?.done();
    },
  };
}

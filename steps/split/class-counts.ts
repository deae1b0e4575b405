/**
 * Classes too small for the split: each of K folds must validate on at least one image of every class, so a class
 * with fewer training images than folds is refused with its count and what to do; a class left with no test image
 * is kept with a warning (its test precision and recall cannot be measured).
 */
import { DataError } from '../../runner/errors.ts';
import type { Logger } from '../../runner/logger.ts';

export function checkClassCounts(
  perClass: Readonly<Record<string, { readonly train: number; readonly test: number }>>,
  folds: number,
  where: { readonly stage: string; readonly root: string; readonly pooled: boolean },
  log: Logger,
): void {
  const small = Object.entries(perClass).filter(([, n]) => n.train < folds);
  if (small.length) {
    const list = small.map(([c, n]) => `'${c}' (${n.train})`).join(', ');
    const fewest = Math.min(...small.map(([, n]) => n.train));
    const lower = fewest >= 2 ? `set stages.${where.stage}.with.folds to ${fewest}, ` : '';
    throw new DataError(
      `${small.length === 1 ? 'class' : 'classes'} ${list} of ${where.root} ${small.length === 1 ? 'has' : 'have'} fewer usable training images than the ${folds} folds need: ` +
        `add images, ${lower}or leave ${small.length === 1 ? 'it' : 'them'} out with data.subset.classes`,
    );
  }
  for (const [c, n] of Object.entries(perClass)) {
    if (n.test === 0) {
      const fix = where.pooled ? 'add images or raise data.test_fraction' : 'add test images to meta/test.txt';
      log.warn(`class '${c}' has no test image (${n.train} training images): its test precision and recall cannot be measured; ${fix}`);
    }
  }
}

/**
 * Stratified K-fold: within each class, a seeded shuffle deals images round-robin into K folds, so every fold has
 * (within one image) the same class balance. The same seed always gives the same folds.
 */
import { mulberry32, seedFrom, shuffled } from '../../ml/random.ts';

export function stratifiedFolds<T extends { className: string; path: string }>(items: readonly T[], k: number, seed: number): number[] {
  const fold = new Array<number>(items.length).fill(-1);
  const byClass = new Map<string, number[]>();
  items.forEach((item, i) => {
    const list = byClass.get(item.className) ?? [];
    list.push(i);
    byClass.set(item.className, list);
  });
  // Continue the round-robin across classes so that small classes do not all start at fold 0.
  let offset = 0;
  for (const className of [...byClass.keys()].sort()) {
    const indices = byClass.get(className)!.sort((a, b) => (items[a].path < items[b].path ? -1 : 1));
    const order = shuffled(indices, mulberry32(seedFrom('kfold', seed, className)));
    order.forEach((idx, j) => {
      fold[idx] = (offset + j) % k;
    });
    offset = (offset + order.length) % k;
  }
  return fold;
}

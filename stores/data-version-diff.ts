/**
 * What changed between two dataset versions, by photo content: a photo is the same photo when its sha256 is the
 * same, wherever its path moved. Pairs are matched on (sha256, path) first, then on sha256 alone, so duplicate
 * photos under several paths are counted once each.
 */
import type { DatasetDiff, DatasetImage, RelabelledImage } from './data-version-types.ts';

export function diffImages(from: string, to: string, a: readonly DatasetImage[], b: readonly DatasetImage[]): DatasetDiff {
  const left = new Map<string, DatasetImage[]>();
  for (const img of a) left.set(img.sha256, [...(left.get(img.sha256) ?? []), img]);
  const added: DatasetImage[] = [];
  const relabelled: RelabelledImage[] = [];
  let unchanged = 0;
  const pending: DatasetImage[] = [];
  // Exact (sha256, path) pairs first, so a duplicate elsewhere does not steal the photo's own match.
  for (const img of b) {
    const candidates = left.get(img.sha256);
    const i = candidates?.findIndex((c) => c.path === img.path) ?? -1;
    if (i < 0) {
      pending.push(img);
      continue;
    }
    const [match] = candidates!.splice(i, 1);
    if (match!.className === img.className) unchanged++;
    else relabelled.push({ sha256: img.sha256, path: img.path, fromPath: match!.path, from: match!.className, to: img.className });
  }
  for (const img of pending) {
    const match = left.get(img.sha256)?.shift();
    if (!match) added.push(img);
    else if (match.className === img.className) unchanged++;
    else relabelled.push({ sha256: img.sha256, path: img.path, fromPath: match.path, from: match.className, to: img.className });
  }
  const removed = [...left.values()].flat();
  const byPath = (x: { path: string }, y: { path: string }) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  return { from, to, added: added.sort(byPath), removed: removed.sort(byPath), relabelled: relabelled.sort(byPath), unchanged };
}

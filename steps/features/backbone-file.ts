/**
 * Makes sure the backbone file is on disk: when `path` is missing and `url` is set, it is downloaded (to a
 * temporary sibling, checked against the expected sha256, then renamed into place). The sha256 is verified again
 * when the model is loaded, whatever the source.
 */
import fs from 'node:fs';
import { DataError } from '../../runner/errors.ts';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import { sha256 } from '../../lib/hash.ts';
import type { Logger } from '../../runner/logger.ts';

export async function ensureBackboneFile(file: string, expectedSha256: string, url: string | undefined, log: Logger): Promise<void> {
  if (fs.existsSync(file)) return;
  if (!url) {
    throw new DataError(`backbone ${file} does not exist: set backbone.path (or BACKBONE_ONNX) to the ONNX file, or backbone.url to download it`);
  }
  log.info(`downloading the backbone from ${url}`);
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw new DataError(`cannot download the backbone from ${url}: ${(err as Error).message}. Download it by hand to ${file}`, { cause: err });
  }
  if (!response.ok || !response.body) throw new DataError(`cannot download the backbone from ${url}: HTTP ${response.status}. Download it by hand to ${file}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = sha256(bytes);
  if (actual !== expectedSha256) {
    throw new DataError(`the file downloaded from ${url} has sha256 ${actual}, expected ${expectedSha256}: not saved. Check backbone.url and backbone.sha256`);
  }
  writeFileAtomic(file, bytes);
  log.info(`saved the backbone to ${file} (${(bytes.length / 1e6).toFixed(1)} MB, sha256 verified)`);
}

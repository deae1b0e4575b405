/**
 * Keys are portable relative paths: the same key must mean the same object on a filesystem and in a bucket, and
 * must never escape the store's root (`..`) or collide with the filesystem store's temp files (leading `.`).
 */
import { ArtifactError } from './errors.ts';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=+@-]*$/;

/** Throws ARTIFACT_BAD_KEY naming the key and the store unless every `/`-separated segment is portable. */
export function checkKey(storeUrl: string, key: string): string {
  const bad = (reason: string): never => {
    throw new ArtifactError('ARTIFACT_BAD_KEY', storeUrl, `artifact key '${key}' in ${storeUrl}: ${reason}`);
  };
  if (key.length === 0) bad('the key is empty');
  if (key.length > 900) bad('longer than 900 characters (S3 allows 1024 bytes with the prefix)');
  for (const segment of key.split('/')) {
    if (segment === '') bad("empty path segment (leading, trailing or doubled '/')");
    if (!SEGMENT.test(segment)) bad(`segment '${segment}' must start with a letter, digit or '_' and use only letters, digits and _ . = + @ -`);
  }
  return key;
}

/** A list prefix: empty, or key segments optionally ending in '/'. */
export function checkPrefix(storeUrl: string, prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(storeUrl, prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}

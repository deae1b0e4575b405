/**
 * JSON Schema builders with static types (TypeBox). Loaded through `require`: TypeBox's CommonJS build loads in
 * ~0.1 s, its ESM build (hundreds of files, each through the TypeScript loader's hooks) in ~0.6 s, and every
 * `pipeline` command pays that at start-up.
 */
import { createRequire } from 'node:module';
import type * as TypeBox from '@sinclair/typebox';

export type { Static, TSchema } from '@sinclair/typebox';

export const Type: typeof TypeBox.Type = (createRequire(import.meta.url)('@sinclair/typebox') as typeof TypeBox).Type;

/** A closed set of strings as `enum` (validation errors then list the values and suggest the closest). */
export function StringEnum<const T extends string>(values: readonly T[], options: Record<string, unknown> = {}): TypeBox.TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

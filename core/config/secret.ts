/**
 * The schema of every token-, password- and key-like option. An empty secret is a config error:
 * `token = "${TOKEN}"` with TOKEN unset substitutes "", and an empty token must never mean
 * "auth off". To turn auth off, leave the key out. A value is never quoted in the error.
 */
import { z } from 'zod';

/** Message of an empty secret. */
export const EMPTY_SECRET =
  'must not be empty (an unset ${VAR} substitutes ""; leave the key out to turn it off)';

/** A required, non-empty secret string; add `.optional()` for an optional one. */
export const secret = z.string({ error: 'must be a string' }).min(1, { error: EMPTY_SECRET });

/**
 * Exponential backoff with full jitter, honouring a server's Retry-After.
 */

/** Delay before retry number `attempt` (1-based): random in [base/2, base], base = initial * 2^(attempt-1) capped. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = base / 2 + random() * (base / 2);
  return retryAfterMs === undefined
    ? jittered
    : Math.max(jittered, Math.min(retryAfterMs, Math.max(maxMs, retryAfterMs)));
}

// glibc malloc settings for the node that runs VIVA, given to it in GLIBC_TUNABLES (glibc reads
// them once, at the start of a process). Plain JavaScript: bin/viva.js runs it on any node >= 18,
// and the tests and the bench start VIVA with the same environment (test/helpers/viva.ts).
//
// - mmap_threshold=262144: a block of 256 KiB or more (request bodies, large socket reads, V8's
//   large objects) is its own mapping and goes back to the system when freed. glibc's default
//   starts at 128 KiB and rises to the largest such block freed (up to 32 MiB), after which those
//   blocks come from the heap, and the heap's top is trimmed only past twice that threshold.
// - trim_threshold=1048576: the heap gives back its free top once it is over 1 MiB.
// - arena_max=1: V8's and libuv's threads allocate from the main arena, not from arenas of their
//   own that keep their free pages.
// Measured (BENCHMARKS.md, "glibc's malloc settings for the agent"): http-pipeline's peak RSS
// median 198 -> 194.5 MB (13 runs each; none above 200 MB with them), tcp-passthrough's 208 -> 200
// MB (17 and 22 runs), same events/s and CPU per line.
// GLIBC_TUNABLES set by the user is left as it is; other C libraries (musl) ignore the variable.

import process from 'node:process';

export const MALLOC_TUNABLES =
  'glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=1048576:glibc.malloc.mmap_threshold=262144';

/** `env` with VIVA's malloc settings, unless it has GLIBC_TUNABLES already or this is not Linux. */
export function withMallocTunables(env) {
  if (process.platform !== 'linux' || env.GLIBC_TUNABLES !== undefined) return env;
  return { ...env, GLIBC_TUNABLES: MALLOC_TUNABLES };
}

/**
 * Called by VIVA at its start: takes the settings back out of its own environment when they are
 * the ones the launcher added, so that commands VIVA runs (the exec inputs) get the user's.
 */
export function forgetMallocTunables(env) {
  if (env.GLIBC_TUNABLES === MALLOC_TUNABLES) delete env.GLIBC_TUNABLES;
}

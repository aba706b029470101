// Loaded by bin/viva.js (`node --import`) before bin/viva.ts: turns on Node's module compile cache
// so that a start after the first one reads VIVA's TypeScript already stripped (and V8's code
// cache with it) instead of loading the type stripper, a WebAssembly module that stays in memory
// for the life of the process. An idle host agent holds about 27 MB less RSS (BENCHMARKS.md,
// "Each change, what it saved"). The cache is written when the process exits and, for a
// long-running agent, once shortly after the start.
//
// Where: NODE_COMPILE_CACHE when the operator sets it (Node's own variable;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off), else `.cache/compile` beside bin/ in VIVA's own
// directory, writable by whoever installed VIVA and no one else (not a shared temp directory,
// whose entries another local user could plant). Where it cannot be written, Node runs
// without the cache: same behaviour, more memory.
import module from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

if (typeof module.enableCompileCache === 'function') {
  const dir =
    process.env.NODE_COMPILE_CACHE ||
    path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.cache', 'compile');
  const r = module.enableCompileCache(dir);
  if (r.status === module.constants.compileCacheStatus.ENABLED) {
    // Modules load at start; those loaded later (a reload) are written at exit.
    setTimeout(() => module.flushCompileCache(), 10_000).unref();
  }
}

/**
 * V8's memory reducer and the agent. Under steady load it makes the agent's heap grow in steps
 * (BENCHMARKS.md, Memory: RSS +17–26 % over 5 minutes with it, +2 % without), so bin/viva.ts starts
 * node with `--no-memory-reducer`. The flag cannot be set from the running process (the reducer is
 * set up with the heap) nor through NODE_OPTIONS, so an agent started another way says how to.
 */

const FLAG = /^--(no-)?memory[-_]reducer$/;

/** True when node was started without an explicit memory reducer flag (the reducer is on). */
export function memoryReducerByDefault(execArgv: readonly string[] = process.execArgv): boolean {
  return !execArgv.some((a) => FLAG.test(a));
}

export const MEMORY_REDUCER_HINT =
  'node runs with V8 memory reducer on: memory grows in steps under steady load; start the agent as ' +
  'bin/viva.ts (or node --no-memory-reducer bin/viva.ts) for flatter memory';

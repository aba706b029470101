'use strict';
/* global exports, process */
// The module jsfuzz loads (it require()s its target and wraps Module#_compile, which breaks
// require() of TypeScript): the target named by VIVA_FUZZ_TARGET is imported on the first call,
// after the coverage hook is registered, so VIVA's modules are instrumented.
let run;

/** jsfuzz entry point: runs one input through the selected target. */
exports.fuzz = async function fuzz(data) {
  if (run === undefined) {
    const { instrumentViva } = await import('./instrument.ts');
    instrumentViva();
    const { TARGETS } = await import('./targets.ts');
    const load = TARGETS[process.env.VIVA_FUZZ_TARGET ?? ''];
    if (load === undefined) throw new Error(`unknown VIVA_FUZZ_TARGET "${process.env.VIVA_FUZZ_TARGET}"`);
    run = await load();
  }
  run(data);
};

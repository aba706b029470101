#!/usr/bin/env -S node --no-memory-reducer --no-allocation-site-pretenuring --max-semi-space-size=16 --no-maglev --no-turbofan
/**
 * The `viva` command: the composition root. Registers the built-in plugins and hands over to
 * the CLI. Nothing else in the tree imports plugins/ into core/.
 *
 * Node flags (first line, read by bin/viva.js and the bench): --max-semi-space-size=16 caps the
 * young generation at 32 MB; V8's default here grew it to 128 MB under http-pipeline. Measured
 * (http-pipeline peak RSS): default 393 MB; 32: 322-339 MB; 8: 892 MB (promoted too early). Once
 * batches in flight were no longer promoted (the output buffer's sizes, see buffer/memory.ts), 16
 * peaked at 198-213 MB against 222-227 MB for 32, for 0-12 % more CPU per line (BENCHMARKS.md,
 * Memory, issue 19: what 32 buys).
 * --no-allocation-site-pretenuring: V8 otherwise allocates straight in the old generation from an
 * object or array literal whose objects survived scavenges (as batches in flight do while the
 * series cache fills); the sites stay tenured after the start, their dead objects pile up in the
 * old generation between full GCs and keep the young objects they point to alive. http-pipeline
 * peaked at 255-290 MB with it, 200-222 MB without it, same events/s (BENCHMARKS.md, "Objects
 * allocated old").
 * --no-maglev --no-turbofan: the optimizing compilers wait until the process is busy
 * (core/app/optimize-when-busy.ts); an idle agent holds about 7 MB less of the node binary.
 */
import { main } from '../core/app/cli/main.ts';
import { forgetMallocTunables } from './malloc-tunables.js';
import { OptimizeWhenBusy } from '../core/app/optimize-when-busy.ts';
import { Registry } from '../core/plugin/registry.ts';
import { collectorCommand, collectorConfigProfile } from '../collector/cli/collector-command.ts';
import { builtinInputs } from '../plugins/inputs/registry.ts';
import { builtinOutputs } from '../plugins/outputs/registry.ts';
import { builtinProcessors } from '../plugins/processors/registry.ts';

/** How long a finished command may wait for the event loop to empty before it exits anyway. */
const EXIT_GRACE_MS = 500;

// glibc read the launcher's malloc settings at the start; the commands VIVA runs get the user's.
forgetMallocTunables(process.env);
new OptimizeWhenBusy().start();
const registry = new Registry().registerLazy(...builtinInputs, ...builtinProcessors, ...builtinOutputs);

main(process.argv.slice(2), {
  registry,
  commands: {
    collector: collectorCommand,
    demo: async (argv) => (await import('../collector/cli/demo-command.ts')).demoCommand(argv),
  },
  replaySources: {
    'dead-letter': async (argv, reg) =>
      (await import('../collector/cli/replay-dead-letter.ts')).replayDeadLetters(argv, reg),
    kafka: async (argv, reg) => (await import('../core/app/cli/replay-kafka.ts')).replayKafka(argv, reg),
  },
  configProfiles: [collectorConfigProfile],
}).then(
  (code) => {
    process.exitCode = code;
    // The command is done: a plugin abandoned at the shutdown deadline (still holding a socket or
    // timer) must not keep the process alive past it. Exits at once when nothing is left anyway.
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);

#!/usr/bin/env -S node --no-memory-reducer
/**
 * The `viva` command: the composition root. Registers the built-in plugins and hands over to
 * the CLI. Nothing else in the tree imports plugins/ into core/.
 */
import { main } from '../core/app/cli/main.ts';
import { Registry } from '../core/plugin/registry.ts';
import { builtinInputs } from '../plugins/inputs/registry.ts';
import { builtinOutputs } from '../plugins/outputs/registry.ts';
import { builtinProcessors } from '../plugins/processors/registry.ts';

const registry = new Registry().register(...builtinInputs, ...builtinProcessors, ...builtinOutputs);

main(process.argv.slice(2), { registry }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  },
);

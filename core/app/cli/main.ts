/**
 * The CLI entry: dispatches subcommands; the only place that decides exit codes.
 */
import type { Registry } from '../../plugin/registry.ts';
import { agentCommand } from './agent-command.ts';
import { archiveCommand } from './archive-command.ts';
import { Exit, UsageError } from './args.ts';
import { configCheck, type ConfigProfile } from './config-command.ts';
import { pluginCommand } from './plugin-command.ts';
import { pluginsCommand } from './plugins-command.ts';
import { replayCommand } from './replay-command.ts';

const USAGE = `usage: viva <command> [options]

commands:
  agent -c FILE|DIR [--test] [--once] [--watch-config=false]   run the agent
  collector -c FILE|DIR [--watch-config=false]                 run the collector (ingest, routes, failover, spool)
  demo                                                         a collector, three agents and the dashboard (npm start)
  config check -c FILE|DIR                                     validate a config, list every problem
  plugins list | plugins doc NAME | plugins sample NAME        plugin reference from the schemas
  plugin new input|processor|output NAME [--dir DIR]           scaffold a plugin folder
  replay [file] -c FILE|DIR --from DATA [--speed max|N] [--since T] [--until T]
                                                               run the processors over recorded data in event time
  replay dead-letter -c FILE|DIR --destination NAME [--since T] [--until T]
                                                               write a collector destination's dead letters again
  archive list --dir DIR [--stream S] [--json]                 the files of the archive output's manifests
  archive replay -c FILE|DIR --dir DIR --from T --to T [--stream S]
                                                               replay an archived time range through the processors
  replay kafka -c FILE|DIR --topic T --brokers B[,B] --since T [--until T] [--slack 5m]
                                                               replay a topic's records between two times
`;

/** A command the composition root adds (the collector: core never imports collector/). */
export type Command = (argv: string[], registry: Registry) => Promise<number>;

export interface CliDeps {
  registry: Registry;
  commands?: Record<string, Command>;
  /** Replay sources beyond `file` (dead letters, Kafka ranges, archives): `viva replay KIND ...`. */
  replaySources?: Record<string, Command>;
  /** Other config kinds `viva config check` recognises by their sections (the collector's). */
  configProfiles?: ConfigProfile[];
}

/** Runs the CLI; resolves with the process exit code. */
export async function main(argv: string[], deps: CliDeps): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'agent':
        return await agentCommand(rest, deps.registry);
      case 'config':
        return await configCheck(rest, deps.registry, deps.configProfiles);
      case 'plugins':
        return pluginsCommand(rest, await deps.registry.loadAll());
      case 'plugin':
        return pluginCommand(rest);
      case 'replay':
        return await replayCommand(rest, deps.registry, deps.replaySources ?? {});
      case 'archive':
        return await archiveCommand(rest, deps.registry);
      case 'collector':
      case 'demo': {
        const extra = deps.commands?.[cmd];
        if (extra === undefined) throw new UsageError(`unknown command "${cmd}"`);
        return await extra(rest, deps.registry);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? Exit.USAGE : Exit.OK;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`viva: ${e.message}\n\n${USAGE}`);
      return Exit.USAGE;
    }
    throw e;
  }
}

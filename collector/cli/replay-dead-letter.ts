/**
 * `viva replay dead-letter -c COLLECTOR.toml --destination NAME [--since T] [--until T]`: writes
 * the dead letters of a destination (already routed and processed) to that destination's outputs
 * again, in priority order, once whatever made them refuse the data is fixed. Batches are chosen by
 * the time they were dead-lettered. The file is left as it is; a summary line goes to stderr.
 * Exit 0 when every selected batch was written, 1 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Exit, parse, parseTimeBound, UsageError } from '../../core/app/cli/args.ts';
import { createLogger } from '../../core/app/logger.ts';
import { create } from '../../core/engine/pipeline/build.ts';
import { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import { parseLineProtocol } from '../../core/format/lineprotocol/index.ts';
import { createContainer } from '../../core/plugin/context.ts';
import type { OutputInstance } from '../../core/plugin/types.ts';
import type { Registry } from '../../core/plugin/registry.ts';
import { deadLetterDir } from '../collector.ts';
import { loadCollectorConfig } from './collector-command.ts';
import { aliasOf } from '../config.ts';
import { deadLetterPath, readDeadLetters } from '../destination/dead-letter.ts';

export async function replayDeadLetters(argv: string[], registry: Registry): Promise<number> {
  const { values } = parse(argv, {
    config: { type: 'string', short: 'c' },
    destination: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
  });
  if (values.config === undefined || values.destination === undefined)
    throw new UsageError('viva replay dead-letter needs -c FILE|DIR and --destination NAME');
  const since = values.since === undefined ? -Infinity : parseTimeBound(values.since, '--since');
  const until = values.until === undefined ? Infinity : parseTimeBound(values.until, '--until');
  const cfg = await loadCollectorConfig(values.config, registry);
  if (cfg === undefined) return Exit.CONFIG;
  const dest = cfg.destinations.find((d) => d.name === values.destination);
  if (dest === undefined)
    throw new UsageError(
      `no destination "${values.destination}" (known: ${cfg.destinations.map((d) => d.name).join(', ')})`,
    );
  const file = deadLetterPath(deadLetterDir(cfg), dest.name);
  if (!fs.existsSync(file)) {
    console.error(`viva replay dead-letter: ${file} does not exist: nothing to replay`);
    return Exit.OK;
  }
  const log = createLogger(values['log-level']);
  const telemetry = new Telemetry('viva-replay');
  const container = createContainer({
    logger: log,
    telemetry,
    dataDir: path.resolve(cfg.base.agent.data_dir),
  });
  const specs = new Map(cfg.base.outputs.map((o) => [aliasOf(o.id.label, o.id.alias), o]));
  const outputs: { alias: string; instance: OutputInstance }[] = [];
  for (const alias of dest.outputs) {
    const spec = specs.get(alias);
    if (spec === undefined) continue;
    const { instance } = await create<OutputInstance>(container, spec.id, (ctx) =>
      spec.def.create(spec.config, ctx),
    );
    outputs.push({ alias, instance });
  }
  let written = 0;
  let failed = 0;
  let batches = 0;
  try {
    for (const b of readDeadLetters(file)) {
      if (b.at < since || b.at > until) continue;
      batches++;
      const { metrics, errors } = parseLineProtocol(b.lines);
      if (errors.length > 0)
        log.warn({ errors: errors.length }, 'dead-letter batch has unreadable lines; skipped');
      let ok = false;
      for (const o of outputs) {
        try {
          await o.instance.connect?.();
          await o.instance.write(metrics);
          ok = true;
          break;
        } catch (e) {
          log.warn(
            { output: o.alias, err: e instanceof Error ? e.message : String(e) },
            'replay write failed',
          );
        }
      }
      if (ok) written += metrics.length;
      else failed += metrics.length;
    }
  } finally {
    for (const o of outputs) await Promise.resolve(o.instance.close?.()).catch(() => undefined);
    await telemetry.shutdown();
  }
  console.error(
    `viva replay dead-letter ${dest.name}: ${batches} batch(es), written ${written}, failed ${failed} (file kept: ${file})`,
  );
  return failed > 0 ? Exit.FAILURE : Exit.OK;
}

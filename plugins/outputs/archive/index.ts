import { defineOutput } from '../../../core/plugin/define.ts';
import { ArchiveOutput } from './archive.ts';
import { archiveConfig } from './config.ts';

/** The archive output. */
export const archiveOutput = defineOutput({
  name: 'archive',
  description:
    'Archives metrics to cold storage: per period, gzip line protocol and Parquet files, a manifest, deletion by age',
  config: archiveConfig,
  create: (config, ctx) => new ArchiveOutput(config, ctx),
});

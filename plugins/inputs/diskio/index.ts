import { defineInput } from '../../../core/plugin/define.ts';
import { diskioConfig } from './config.ts';
import { Diskio } from './diskio.ts';

/** The diskio input: I/O counters of each block device. */
export const diskioInput = defineInput({
  name: 'diskio',
  description: 'I/O counters of each block device (reads, writes, bytes, times), from /proc/diskstats',
  config: diskioConfig,
  create: (config, ctx) => new Diskio(config, ctx),
});

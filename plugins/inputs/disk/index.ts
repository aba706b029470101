import { defineInput } from '../../../core/plugin/define.ts';
import { diskConfig } from './config.ts';
import { Disk } from './disk.ts';

/** The disk input: space and inodes of each mounted filesystem. */
export const diskInput = defineInput({
  name: 'disk',
  description: 'Space and inodes of each mounted filesystem, from the mount table and statfs',
  config: diskConfig,
  create: (config, ctx) => new Disk(config, ctx),
});

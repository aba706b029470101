import { defineInput } from '../../../core/plugin/define.ts';
import { netConfig } from './config.ts';
import { Net } from './net.ts';

/** The net input: traffic counters of each network interface and of the IP stack. */
export const netInput = defineInput({
  name: 'net',
  description:
    'Traffic counters of each network interface and of the IP stack, from /proc/net/dev and /proc/net/snmp',
  config: netConfig,
  create: (config, ctx) => new Net(config, ctx),
});

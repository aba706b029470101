import { defineInput } from '../../../core/plugin/define.ts';
import { netstatConfig } from './config.ts';
import { Netstat } from './netstat.ts';

/** The netstat input: TCP sockets by state and UDP sockets. */
export const netstatInput = defineInput({
  name: 'netstat',
  description: 'TCP sockets by state and UDP sockets, from /proc/net/tcp, tcp6, udp and udp6',
  config: netstatConfig,
  create: (config, ctx) => new Netstat(config, ctx),
});

import { defineInput } from '../../../core/plugin/define.ts';
import { socketListenerConfig } from './config.ts';
import { SocketListener } from './socket_listener.ts';

/** The socket_listener input: line protocol or JSON metrics over TCP or UDP. */
export const socketListenerInput = defineInput({
  name: 'socket_listener',
  description: 'Accepts line protocol or JSON metrics over TCP or UDP, pausing TCP reads under pushback',
  config: socketListenerConfig,
  create: (config, ctx) => new SocketListener(config, ctx),
});

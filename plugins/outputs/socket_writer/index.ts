import { createSerializer, formatOptions } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { socketWriterConfig } from './config.ts';
import { SocketWriter } from './socket_writer.ts';

/** The socket_writer output: line protocol or JSON over TCP or UDP. */
export const socketWriterOutput = defineOutput({
  name: 'socket_writer',
  description: 'Writes batches as line protocol or JSON over TCP (reconnecting) or UDP datagrams',
  config: socketWriterConfig,
  create: (config, ctx) =>
    new SocketWriter(config, createSerializer(config.data_format, formatOptions(config)), ctx.log),
});

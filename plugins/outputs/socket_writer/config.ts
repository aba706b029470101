import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { dataFormatConfigShape } from '../../../core/format/registry.ts';
import { socketAddressSchema } from '../../../core/lib/listen/address.ts';

/** Config of the socket_writer output. */
export const socketWriterConfig = z.strictObject({
  address: socketAddressSchema('tcp')
    .meta({ example: 'tcp://127.0.0.1:8094' })
    .describe('Where to send: tcp://host:port or udp://host:port.'),
  ...dataFormatConfigShape,
  connect_timeout: duration.prefault('5s').describe('Deadline of opening a TCP connection.'),
  keep_alive_period: duration.prefault('0s').describe('TCP keep-alive probe delay (0 = off).'),
  max_datagram_size: size
    .prefault('1472')
    .describe('UDP: largest datagram; a batch is split into datagrams of whole metrics below it.'),
});

export type SocketWriterConfig = z.output<typeof socketWriterConfig>;

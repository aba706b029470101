import { z } from 'zod';
import { duration, size } from '../../../core/config/duration.ts';
import { socketAddressSchema } from '../../../core/lib/listen/address.ts';
import { dataFormatConfigShape, seriesCacheConfigShape } from '../../../core/format/registry.ts';

/** Config of the socket_listener input. */
export const socketListenerConfig = z.strictObject({
  service_address: socketAddressSchema('tcp')
    .default('tcp://127.0.0.1:8094')
    .describe('Where to listen: tcp://host:port or udp://host:port.'),
  ...dataFormatConfigShape,
  ...seriesCacheConfigShape,
  max_connections: z
    .number()
    .int()
    .min(0)
    .default(1024)
    .describe('Concurrent TCP connections (0 = unlimited); more are refused and counted.'),
  read_timeout: duration
    .prefault('5m')
    .describe('Close a TCP connection idle this long (0 = never), so idle clients cannot hold every slot.'),
  keep_alive_period: duration.prefault('0s').describe('TCP keep-alive probe delay (0 = off).'),
  max_line_length: size
    .prefault('64KiB')
    .describe('Longest line accepted over TCP; longer ones are rejected and counted, the connection stays.'),
  read_buffer_size: size.prefault('0').describe('UDP socket receive buffer (0 = system default).'),
});

export type SocketListenerConfig = z.output<typeof socketListenerConfig>;

import { z } from 'zod';
import { hostProcOption, hostSysOption } from '../../../core/lib/host/root.ts';

/** Config of the net input. */
export const netConfig = z.strictObject({
  interfaces: z
    .array(z.string())
    .default([])
    .describe(
      'Report only these interfaces; globs allowed, e.g. ["eth*", "lo"] (empty = every interface that is ' +
        'up and not a loopback).',
    ),
  ignore_protocol_stats: z
    .boolean()
    .default(false)
    .describe('Leave out the protocol counters of /proc/net/snmp (the net metric tagged interface=all).'),
  host_proc: hostProcOption,
  host_sys: hostSysOption,
});

export type NetConfig = z.output<typeof netConfig>;

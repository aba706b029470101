import { createSerializer } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { influxdbV2Config } from './config.ts';
import { InfluxdbV2Output } from './influxdb_v2.ts';

/** The influxdb_v2 output (InfluxDB 2.x /api/v2/write API). */
export const influxdbV2Output = defineOutput({
  name: 'influxdb_v2',
  description:
    'Writes line protocol to InfluxDB 2.x (/api/v2/write) with a token: partial writes, 413 split, Retry-After',
  config: influxdbV2Config,
  create: (config, ctx) =>
    new InfluxdbV2Output(config, createSerializer('influx', { precision: config.precision }), ctx),
});

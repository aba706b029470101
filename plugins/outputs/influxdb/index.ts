import { createSerializer } from '../../../core/format/registry.ts';
import { defineOutput } from '../../../core/plugin/define.ts';
import { influxdbConfig } from './config.ts';
import { InfluxdbOutput } from './influxdb.ts';

/** The influxdb output (InfluxDB 1.x /write API). */
export const influxdbOutput = defineOutput({
  name: 'influxdb',
  description:
    'Writes line protocol to InfluxDB 1.x (/write): failover URLs, gzip, database creation, partial writes',
  config: influxdbConfig,
  create: (config, ctx) =>
    new InfluxdbOutput(config, createSerializer('influx', { precision: config.precision }), ctx),
});

import { defineInput } from '../../../core/plugin/define.ts';
import { postgresqlConfig } from './config.ts';
import { PostgresqlInput } from './postgresql.ts';

/** The postgresql input: configured SQL queries whose rows become metrics. */
export const postgresqlInput = defineInput({
  name: 'postgresql',
  description: 'Runs configured SQL queries against PostgreSQL and turns the rows into metrics',
  config: postgresqlConfig,
  create: (config, ctx) => new PostgresqlInput(config, ctx),
});

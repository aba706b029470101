import { defineInput } from '../../../core/plugin/define.ts';
import { sqlConfig } from './config.ts';
import { SqlInput } from './sql.ts';

/** The sql input: configured queries against PostgreSQL, MySQL/MariaDB or SQLite become metrics. */
export const sqlInput = defineInput({
  name: 'sql',
  description:
    'Runs configured SQL queries against PostgreSQL, MySQL/MariaDB or SQLite and turns the rows into metrics',
  config: sqlConfig,
  create: (config, ctx) => new SqlInput(config, ctx),
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/plugin/testing.ts';
import { connectOptions } from './connect.ts';
import { postgresqlInput } from './index.ts';

const options = (table: Record<string, unknown>): ReturnType<typeof connectOptions> =>
  connectOptions(parseConfig(postgresqlInput, table));

describe('postgresql input connection options', () => {
  it('should read user, password, host, port and database from the address', () => {
    const o = options({ address: 'postgres://app%40x:p%3Ass@db.example:6543/metrics?application_name=edge' });
    expect(o).toMatchObject({
      host: 'db.example',
      port: 6543,
      user: 'app@x',
      password: 'p:ss',
      database: 'metrics',
      applicationName: 'edge',
      tls: undefined,
    });
  });

  it('should let the password key override the address and default the rest', () => {
    const o = options({ address: 'postgresql://viva:old@[::1]/', password: 'new' });
    expect(o).toMatchObject({ host: '::1', port: 5432, password: 'new', database: 'postgres' });
  });

  it('should map sslmode to TLS checks and a socket directory to the socket path', () => {
    expect(options({ address: 'postgres://u@h/db?sslmode=require' }).tls).toEqual({ verify: 'none' });
    expect(options({ address: 'postgres://u@h/db?sslmode=verify-full' }).tls).toMatchObject({
      verify: 'full',
    });
    expect(options({ address: 'postgres://u@h/db?host=/run/postgresql' }).socketPath).toBe('/run/postgresql');
  });

  it('should refuse an unknown sslmode', () => {
    expect(() => options({ address: 'postgres://u@h/db?sslmode=sometimes' })).toThrow(/sslmode/);
  });
});

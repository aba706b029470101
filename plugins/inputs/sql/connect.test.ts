import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/plugin/testing.ts';
import { connectOptions, family, sourceOf, sqliteFile } from './connect.ts';
import { sqlInput } from './index.ts';

const q = [{ sql: 'SELECT 1 AS one', measurement: 'one' }];
const cfg = (table: Record<string, unknown>): ReturnType<typeof parseConfig<typeof sqlInput.config>> =>
  parseConfig(sqlInput, { query: q, ...table });

describe('sql input connection options', () => {
  it('should read a mysql dsn with the default port and let the password key override it', () => {
    const c = cfg({ driver: 'mariadb', dsn: 'mysql://app:old@db.example/metrics', password: 'new' });
    expect(family(c.driver)).toBe('mysql');
    expect(connectOptions(c, 'mysql')).toMatchObject({
      host: 'db.example',
      port: 3306,
      user: 'app',
      password: 'new',
      database: 'metrics',
      tls: undefined,
    });
  });

  it("should take TLS from the tls key, else from the postgres dsn's sslmode", () => {
    const fromDsn = cfg({ driver: 'pgx', dsn: 'postgres://u:p%40ss@h:6543/db?sslmode=require' });
    expect(connectOptions(fromDsn, 'postgres')).toMatchObject({
      port: 6543,
      password: 'p@ss',
      tls: { verify: 'none' },
    });
    const key = cfg({ driver: 'postgres', dsn: 'postgres://u@h/db?sslmode=require', tls: 'verify-full' });
    expect(connectOptions(key, 'postgres').tls).toMatchObject({ verify: 'full' });
    const off = cfg({ driver: 'mysql', dsn: 'mysql://u@h/db' });
    expect(connectOptions(off, 'mysql').tls).toBeUndefined();
  });

  it('should refuse a dsn that is not a URL and an unknown sslmode', () => {
    expect(() => connectOptions(cfg({ driver: 'postgres', dsn: 'host=h user=u' }), 'postgres')).toThrow(
      /not a URL/,
    );
    expect(() =>
      connectOptions(cfg({ driver: 'postgres', dsn: 'postgres://u@h/db?sslmode=maybe' }), 'postgres'),
    ).toThrow(/sslmode "maybe"/);
  });

  it('should key marks by the database, not by the password', () => {
    const a = sourceOf(cfg({ driver: 'mysql', dsn: 'mysql://app:one@db:3306/m' }));
    expect(sourceOf(cfg({ driver: 'mysql', dsn: 'mysql://app@db/m', password: 'two' }))).toBe(a);
    expect(a).toBe('mysql://app@db:3306/m');
    expect(sourceOf(cfg({ driver: 'mysql', dsn: 'mysql://app:one@db2:3306/m' }))).not.toBe(a);
    expect(sourceOf(cfg({ driver: 'sqlite', dsn: 'file:/x/e.db' }))).toBe('sqlite:/x/e.db');
  });

  it('should take a SQLite path or file: URL', () => {
    expect(sqliteFile('/var/lib/app/events.db')).toBe('/var/lib/app/events.db');
    expect(sqliteFile('file:///var/lib/app/my%20events.db?mode=ro')).toBe('/var/lib/app/my events.db');
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { WriteError } from '../../model/errors/errors.ts';
import { Failover } from './failover.ts';

const log = pino({ level: 'silent' });

describe('Failover', () => {
  it('should move on while failures are retryable and start from the url that answered last', async () => {
    const f = new Failover(['a', 'b', 'c'], log, 'influxdb', 'write');
    const tried: string[] = [];
    await f.send((url) => {
      tried.push(url);
      return Promise.resolve(url === 'b' ? undefined : WriteError.retryable(`${url} down`));
    });
    await f.send((url) => {
      tried.push(url);
      return Promise.resolve(undefined);
    });
    expect(tried).toEqual(['a', 'b', 'b']);
  });

  it('should stop at a permanent failure and throw it', async () => {
    const f = new Failover(['a', 'b'], log, 'influxdb', 'write');
    await expect(f.send(() => Promise.resolve(WriteError.permanent('bad')))).rejects.toThrow('bad');
  });

  it('should throw the last retryable failure when no url takes the batch', async () => {
    const f = new Failover(['a', 'b'], log, 'alertmanager', 'post');
    await expect(f.send((url) => Promise.resolve(WriteError.retryable(`${url} down`)))).rejects.toThrow(
      'b down',
    );
    await expect(
      new Failover([], log, 'alertmanager', 'post').send(() => Promise.resolve(undefined)),
    ).rejects.toThrow('no alertmanager url');
  });
});

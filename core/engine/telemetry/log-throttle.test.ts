import { describe, expect, it } from 'vitest';
import { LogThrottle } from './log-throttle.ts';

function setup(): { throttle: LogThrottle; lines: [object, string][]; advance: (ms: number) => void } {
  const lines: [object, string][] = [];
  let t = 1000;
  const throttle = new LogThrottle(
    { warn: (fields, msg) => lines.push([fields, msg]) },
    { everyMs: 10_000, now: () => t },
  );
  return { throttle, lines, advance: (ms) => (t += ms) };
}

describe('LogThrottle', () => {
  it('should log the first occurrence at once and hold back the rest of the interval', () => {
    const { throttle, lines, advance } = setup();
    throttle.warn('invalid line', { peer: 'a', count: 3 }, 'input rejected bad data', 3);
    for (let i = 0; i < 1000; i++) {
      advance(5);
      throttle.warn('invalid line', { peer: 'b', count: 2 }, 'input rejected bad data', 2);
    }
    expect(lines).toEqual([[{ peer: 'a', count: 3 }, 'input rejected bad data']]);
  });

  it('should say how many occurrences and items it held back on the next line', () => {
    const { throttle, lines, advance } = setup();
    throttle.warn('r', { count: 1 }, 'm');
    advance(1000);
    throttle.warn('r', { count: 4 }, 'm', 4);
    throttle.warn('r', { count: 5 }, 'm', 5);
    advance(9000);
    throttle.warn('r', { count: 2 }, 'm', 2);
    advance(10_000);
    throttle.warn('r', { count: 7 }, 'm', 7);
    expect(lines).toEqual([
      [{ count: 1 }, 'm'],
      [{ count: 2, suppressed: 2, suppressed_count: 9 }, 'm'],
      [{ count: 7 }, 'm'],
    ]);
  });

  it('should throttle each key on its own', () => {
    const { throttle, lines } = setup();
    throttle.warn('a', { reason: 'a' }, 'm');
    throttle.warn('b', { reason: 'b' }, 'm');
    throttle.warn('a', { reason: 'a' }, 'm');
    expect(lines.map(([f]) => f)).toEqual([{ reason: 'a' }, { reason: 'b' }]);
  });
});

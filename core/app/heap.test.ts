import { describe, expect, it } from 'vitest';
import { memoryReducerByDefault } from './heap.ts';

describe('memoryReducerByDefault', () => {
  it('should be true when node got no memory reducer flag', () => {
    expect(memoryReducerByDefault([])).toBe(true);
    expect(memoryReducerByDefault(['--trace-gc', '--max-old-space-size=512'])).toBe(true);
    // Another flag whose name starts the same.
    expect(memoryReducerByDefault(['--memory-reducer-for-small-heaps'])).toBe(true);
  });

  it('should be false when node was told either way', () => {
    expect(memoryReducerByDefault(['--no-memory-reducer'])).toBe(false);
    expect(memoryReducerByDefault(['--trace-gc', '--memory-reducer'])).toBe(false);
    expect(memoryReducerByDefault(['--no-memory_reducer'])).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { hideSubstituted, redactUrl } from './redact.ts';

describe('redactUrl', () => {
  it('should hide passwords and lone user parts of every URL in a text', () => {
    expect(redactUrl('http://viva:pw@127.0.0.1:8086/')).toBe('http://viva:***@127.0.0.1:8086/');
    expect(redactUrl('to https://tok@h/x and mqtt://u:p@b:1883')).toBe(
      'to https://***@h/x and mqtt://u:***@b:1883',
    );
    expect(redactUrl('http://127.0.0.1:8086/write?u=a@b')).toBe('http://127.0.0.1:8086/write?u=a@b');
    expect(redactUrl('no url here')).toBe('no url here');
  });
});

describe('hideSubstituted', () => {
  it('should show references instead of substituted values', () => {
    const values = new Map([
      ['s3cret-long', '${SECRET}'],
      ['on', '${FLAG}'],
    ]);
    expect(hideSubstituted('invalid duration "s3cret-long"', values)).toBe('invalid duration "${SECRET}"');
    expect(hideSubstituted('expected boolean, got "on" in outputs.one', values)).toBe(
      'expected boolean, got "${FLAG}" in outputs.one',
    );
  });
});

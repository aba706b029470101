import { describe, expect, it } from 'vitest';
import { authHeaders, httpStatusError, retryAfterHeader } from './client.ts';

describe('authHeaders', () => {
  it('should prefer a bearer token over basic auth', () => {
    expect(authHeaders({ token: 't', username: 'u', password: 'p' })).toEqual({ authorization: 'Bearer t' });
  });

  it('should send basic auth with an empty password when none is set', () => {
    expect(authHeaders({ username: 'u' })).toEqual({
      authorization: 'Basic ' + Buffer.from('u:').toString('base64'),
    });
  });

  it('should send no authorization without credentials', () => {
    expect(authHeaders({})).toEqual({});
  });
});

describe('retryAfterHeader', () => {
  it('should take the first of repeated Retry-After headers', () => {
    expect(retryAfterHeader({ 'retry-after': ['3', '9'] })).toBe('3');
    expect(retryAfterHeader({})).toBeUndefined();
  });
});

describe('httpStatusError', () => {
  it('should reject 400, 413 and 422 for good and retry the rest honouring Retry-After', () => {
    for (const s of [400, 413, 422]) expect(httpStatusError('HTTP', s, '', undefined).kind).toBe('permanent');
    const err = httpStatusError('HTTP', 503, ' busy \n', '4');
    expect(err.kind).toBe('retryable');
    expect(err.retryAfterMs).toBe(4000);
    expect(err.message).toBe('HTTP 503: busy');
  });

  it('should retry 401 and 403 with the hint when one is given', () => {
    const err = httpStatusError('X answered', 401, '', '9', { authHint: 'check the credentials' });
    expect(err.kind).toBe('retryable');
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toBe('X answered 401 (check the credentials)');
  });

  it('should use the permanent statuses it is given', () => {
    expect(httpStatusError('HTTP', 400, '', undefined, { permanent: new Set([409]) }).kind).toBe('retryable');
    expect(httpStatusError('HTTP', 409, '', undefined, { permanent: new Set([409]) }).kind).toBe('permanent');
  });
});

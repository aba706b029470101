import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('should write no URL credentials and no secret fields, wherever they appear', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'viva-log-')), 'log.json');
    const log = createLogger('info', file);
    log.warn(
      {
        url: 'http://viva:pw-1@db:8086',
        urls: ['https://tok-2@h/x'],
        cfg: { password: 'pw-3', address: 'mqtt://u:pw-4@broker' },
        bearer_token: 'tok-5',
        err: new TypeError('connect to http://viva:pw-6@db failed'),
      },
      'write failed',
    );
    log.child({ plugin: 'outputs.x' }).info({ sasl_password: 'pw-7' }, 'child');
    const text = fs.readFileSync(file, 'utf8');
    for (const s of ['pw-1', 'tok-2', 'pw-3', 'pw-4', 'tok-5', 'pw-6', 'pw-7']) expect(text).not.toContain(s);
    const first = JSON.parse(text.split('\n')[0]) as Record<string, unknown>;
    expect(first).toMatchObject({
      url: 'http://viva:***@db:8086',
      urls: ['https://***@h/x'],
      cfg: { password: '[redacted]', address: 'mqtt://u:***@broker' },
      err: { type: 'Error', message: 'connect to http://viva:***@db failed' },
    });
  });
});

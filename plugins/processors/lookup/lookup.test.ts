import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Metric } from '../../../core/model/metric/metric.ts';
import { parseConfig, runProcessor, testContext } from '../../../core/plugin/testing.ts';
import type { PluginContext, ProcessorInstance } from '../../../core/plugin/types.ts';
import { lookupProcessor } from './index.ts';

const host = (h: string, tags: Record<string, string> = {}): Metric =>
  new Metric('cpu', { host: h, ...tags }, { usage: 1 }, 0);

/** Polls until `check` holds (the watcher and reloads are asynchronous). */
async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lookup processor', () => {
  let dir: string;
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-lookup-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should add the columns of the CSV row keyed by a tag as tags', async () => {
    const csv = file('hosts.csv', 'host,team,"rack, row"\nweb1,frontend,"r1, 2"\ndb1,storage,\n');
    const out = await runProcessor(lookupProcessor, { file: csv, key_tags: ['host'] }, [
      host('web1'),
      host('db1'),
      host('x'),
    ]);
    expect(out.map((m) => m.tags)).toEqual([
      { host: 'web1', team: 'frontend', 'rack, row': 'r1, 2' },
      { host: 'db1', team: 'storage' },
      { host: 'x' },
    ]);
  });

  it('should build the key from a template over several tags and read a JSON object table', async () => {
    const json = file(
      't.json',
      JSON.stringify({ 'eu/web1': { owner: 'ana', tier: 1 }, 'us/web1': { owner: 'bo' } }),
    );
    const out = await runProcessor(lookupProcessor, { file: json, key: '{{dc}}/{{host}}' }, [
      host('web1', { dc: 'eu' }),
      host('web1', { dc: 'us' }),
      host('web1'),
    ]);
    expect(out.map((m) => m.tags)).toEqual([
      { host: 'web1', dc: 'eu', owner: 'ana', tier: '1' },
      { host: 'web1', dc: 'us', owner: 'bo' },
      { host: 'web1' },
    ]);
  });

  it('should read a JSON array of rows by key_column and keep existing tags without overwrite', async () => {
    const json = file('rows.json', JSON.stringify([{ name: 'web1', team: 'a', env: 'prod' }]));
    const [m] = await runProcessor(
      lookupProcessor,
      { file: json, key_tags: ['host'], key_column: 'name', overwrite: false },
      [host('web1', { env: 'dev' })],
    );
    expect(m.tags).toEqual({ host: 'web1', env: 'dev', team: 'a' });
  });

  it('should fail to create on a missing or malformed table, naming the file', async () => {
    await expect(
      lookupProcessor.create(
        parseConfig(lookupProcessor, { file: path.join(dir, 'none.csv'), key: '{{host}}' }),
        testContext(lookupProcessor),
      ),
    ).rejects.toThrow(/ENOENT/);
    const bad = file('bad.csv', 'host,team\nweb1\n');
    await expect(
      lookupProcessor.create(
        parseConfig(lookupProcessor, { file: bad, key: '{{host}}' }),
        testContext(lookupProcessor),
      ),
    ).rejects.toThrow(`lookup table ${bad}: line 2: 1 cells, the header has 2`);
  });

  describe('reloading', () => {
    let p: ProcessorInstance | undefined;
    afterEach(async () => {
      await p?.stop?.();
      p = undefined;
    });

    it('should pick up a changed table through the file watcher', async () => {
      const csv = file('hosts.csv', 'host,team\nweb1,old\n');
      p = await lookupProcessor.create(
        parseConfig(lookupProcessor, { file: csv, key_tags: ['host'] }),
        testContext(lookupProcessor),
      );
      await p.start?.(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(csv, 'host,team\nweb1,new\n');
      await eventually(() => (p?.process([host('web1')]) as Metric[])[0].tags.team === 'new');
    });

    it('should re-check the modification time without a watcher', async () => {
      let now = 0;
      const ctx = testContext(lookupProcessor, { clock: { now: () => now, monotonic: () => now } });
      const csv = file('hosts.csv', 'host,team\nweb1,old\n');
      p = await lookupProcessor.create(
        parseConfig(lookupProcessor, { file: csv, key_tags: ['host'], check_interval: '1s' }),
        ctx,
      );
      fs.writeFileSync(csv, 'host,team\nweb1,newer\n');
      fs.utimesSync(csv, new Date(), new Date(Date.now() + 5000));
      now = 1000;
      await eventually(() => (p?.process([host('web1')]) as Metric[])[0].tags.team === 'newer');
    });

    it('should keep the previous table when a reload fails, logging and counting it', async () => {
      const lines: string[] = [];
      const base = testContext(lookupProcessor);
      const ctx: PluginContext = {
        ...base,
        log: pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }),
      };
      const json = file('t.json', JSON.stringify({ web1: { team: 'a' } }));
      p = await lookupProcessor.create(parseConfig(lookupProcessor, { file: json, key: '{{host}}' }), ctx);
      await p.start?.(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(json, '{"web1": {"team": ');
      await eventually(() => lines.some((l) => l.includes('reload failed')));
      expect((p.process([host('web1')]) as Metric[])[0].tags.team).toBe('a');
      const errors = (await ctx.selfMetrics()).find((s) => s.name === 'viva_processor_lookup_reload_errors');
      expect(errors?.fields.value).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(lines.find((l) => l.includes('reload failed')) as string)).toMatchObject({
        file: json,
        level: 40,
      });
    });
  });

  it('should reject a misspelled key, both or neither key options, and a malformed template', () => {
    const cfg = lookupProcessor.config;
    expect(cfg.safeParse({ file: 'a.csv', key_tag: ['host'] }).success).toBe(false);
    expect(cfg.safeParse({ file: 'a.csv' }).error?.issues[0].message).toBe(
      'set exactly one of key or key_tags',
    );
    expect(cfg.safeParse({ file: 'a.csv', key: '{{host}}', key_tags: ['host'] }).success).toBe(false);
    expect(cfg.safeParse({ file: 'a.csv', key: '{{host}' }).error?.issues[0].message).toMatch(
      /malformed placeholder/,
    );
    expect(cfg.safeParse({ file: 'a.csv', key: 'host' }).error?.issues[0].message).toMatch(/names no tag/);
  });
});

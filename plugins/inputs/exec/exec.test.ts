import { describe, expect, it } from 'vitest';
import { parseConfig, testContext, TestAccumulator } from '../../../core/plugin/testing.ts';
import { ExecInput } from './exec.ts';
import { execInput } from './index.ts';

const NOW = 1_764_140_000_000;

async function gather(table: Record<string, unknown>): Promise<{ acc: TestAccumulator; error: unknown }> {
  const input = new ExecInput(
    parseConfig(execInput, table),
    testContext(execInput, { clock: { now: () => NOW, monotonic: () => 0 } }),
  );
  const acc = new TestAccumulator();
  const error = await Promise.resolve(input.gather(acc)).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { acc, error };
}

const sh = (script: string): string[] => ['/bin/sh', '-c', script];

describe('exec input', () => {
  it('should parse line protocol from stdout with exact types and times', async () => {
    const { acc, error } = await gather({
      commands: [sh('printf "job,name=a ok=1i,t=0.5 1700000000000000001\\njob,name=b ok=0i\\n"')],
    });
    expect(error).toBeUndefined();
    expect(acc.metrics.map((m) => [m.name, m.tags, m.fields, m.fieldTypes, m.timeMs, m.timeNs])).toEqual([
      ['job', { name: 'a' }, { ok: 1, t: 0.5 }, { ok: 'int' }, 1_700_000_000_000, 1],
      ['job', { name: 'b' }, { ok: 0 }, { ok: 'int' }, NOW, 0],
    ]);
  });

  it('should pass arguments without a shell and run commands in parallel', async () => {
    const { acc } = await gather({
      commands: [
        ['/bin/echo', 'argv,x=$HOME v=1i'],
        ['/bin/echo', 'second v=2i'],
      ],
    });
    expect(acc.metrics.map((m) => [m.name, m.tags]).sort()).toEqual([
      ['argv', { x: '$HOME' }],
      ['second', {}],
    ]);
  });

  it('should read JSON output with tag_keys and name it exec', async () => {
    const { acc } = await gather({
      commands: [sh(`echo '{"disk":"sda","used":12.5,"label":"x"}'`)],
      data_format: 'json',
      tag_keys: ['disk'],
    });
    expect(acc.metrics.map((m) => [m.name, m.tags, m.fields])).toEqual([
      ['exec', { disk: 'sda' }, { used: 12.5 }],
    ]);
  });

  it('should fail the gather on a non-zero exit and still keep what the command printed', async () => {
    const { acc, error } = await gather({
      commands: [sh('echo "partial v=1i"; echo oops >&2; exit 3')],
      environment: { X: '1' },
    });
    expect(String(error)).toMatch(/\/bin\/sh exited with code 3/);
    expect(acc.metrics.map((m) => m.name)).toEqual(['partial']);
  });

  it('should kill a command that overruns, with SIGKILL when it ignores SIGTERM', async () => {
    const started = Date.now();
    const { error } = await gather({
      commands: [sh('trap "" TERM; sleep 30 & wait; sleep 30')],
      command_timeout: '200ms',
      kill_grace: '200ms',
    });
    expect(String(error)).toMatch(/timed out after 200 ms; killed/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('should refuse output larger than max_output_size', async () => {
    const { acc, error } = await gather({
      commands: [sh('yes "m v=1i" | head -c 100000')],
      max_output_size: 1000,
    });
    expect(String(error)).toMatch(/exceeded max_output_size/);
    expect(acc.metrics).toHaveLength(0);
  });

  it('should report a command that cannot be started', async () => {
    const { error } = await gather({ commands: [['/nonexistent/tool']] });
    expect(String(error)).toMatch(/\/nonexistent\/tool: spawn \/nonexistent\/tool ENOENT/);
  });

  it('should reject bad output lines by line number', async () => {
    const { acc } = await gather({ commands: [sh('printf "ok v=1i\\nbroken\\n"')] });
    expect(acc.metrics).toHaveLength(1);
    expect(acc.rejects[0]).toMatchObject({
      reason: 'invalid command output',
      count: 1,
      detail: { lines: [2] },
    });
  });
});

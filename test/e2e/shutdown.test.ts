/**
 * `shutdown_timeout` bounds the whole stop of the real `viva agent`, not only the output flush:
 * an input and a processor whose stop hangs are abandoned (with a warning naming them) so the
 * agent reports stopped, and the process exits, within the deadline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const running: VivaProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

const SDK = JSON.stringify(path.join(repoRoot, 'core', 'sdk.ts'));

/** An input and a processor whose stop takes `hangMs` (a referenced timer, as a real drain has). */
const SLOW_PLUGINS = `
import { defineInput, defineProcessor, Metric, z } from ${SDK};

const hang = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export const slowIn = defineInput({
  name: 'slow_in',
  description: 'an input whose stop hangs',
  config: z.strictObject({ hang_ms: z.number() }),
  create: (cfg) => ({
    gather: (acc) => acc.push([new Metric('slow_in', {}, { v: 1 }, Date.now())]),
    stop: () => hang(cfg.hang_ms),
  }),
});

export const slowProc = defineProcessor({
  name: 'slow_proc',
  description: 'a processor whose stop hangs',
  config: z.strictObject({ hang_ms: z.number() }),
  create: (cfg) => ({
    process: (metrics) => metrics,
    stop: () => hang(cfg.hang_ms),
  }),
});
`;

describe('agent shutdown', () => {
  it('should stop and exit within shutdown_timeout even when plugins hang in stop', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'slow.mjs'), SLOW_PLUGINS);
    const out = path.join(dir, 'out.lp');
    fs.writeFileSync(
      path.join(dir, 'viva.toml'),
      `plugins = ["./slow.mjs"]

[agent]
interval = "100ms"
flush_interval = "100ms"
omit_hostname = true
http_listen = ""
shutdown_timeout = "2s"

[[inputs.slow_in]]
hang_ms = 8000

[[processors.slow_proc]]
hang_ms = 8000

[[outputs.file]]
files = ["${out}"]
`,
    );
    const p = startViva(['agent', '-c', path.join(dir, 'viva.toml')], { cwd: dir });
    running.push(p);
    await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('slow_in'), 'metrics');
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const took = Date.now() - t0;
    // The deadline plus a little for the process to exit; well short of the 8 s stops.
    expect(took).toBeLessThan(2000 + 1500);
    expect(p.stderr()).toMatch(/"plugin":"inputs.slow_in".*did not stop within shutdown_timeout/);
    expect(p.stderr()).toMatch(/"plugin":"processors.slow_proc".*did not stop within shutdown_timeout/);
    expect(p.stderr()).toContain('agent stopped');
  });
});

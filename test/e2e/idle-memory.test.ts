/**
 * An idle `viva agent` and an idle `viva collector` give back the heap their start grew: after the
 * first 15 s window in which the event loop idled, one GC that shrinks the committed heap, logged
 * at debug level as "idle GC" (core/app/idle-memory.ts; that it never runs under load is its unit
 * test's).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectorConfig } from '../helpers/collector.ts';
import { freePort, startViva, tempDir, waitFor, type VivaProcess } from '../helpers/viva.ts';

const running: VivaProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await p.exited;
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

interface IdleGcLine {
  msg: string;
  heap_mb_before: number;
  heap_mb_after: number;
}

/** Waits for the process's first "idle GC" debug line. */
async function firstIdleGc(p: VivaProcess): Promise<IdleGcLine> {
  return waitFor(
    () => {
      if (p.child.exitCode !== null) throw new Error(`exited: ${p.stderr()}`);
      for (const line of p.stderr().split('\n')) {
        if (!line.includes('"idle GC"')) continue;
        const entry = JSON.parse(line) as IdleGcLine;
        if (entry.msg === 'idle GC') return entry;
      }
      return undefined;
    },
    'an "idle GC" log line',
    60_000,
    250,
  );
}

describe('idle memory', () => {
  it('should run the idle GC in an idle collector and shrink its heap', { timeout: 90_000 }, async () => {
    const dir = tempDir('viva-idle-collector-');
    dirs.push(dir);
    const cfg = await collectorConfig(
      dir,
      `[[routes]]
name = "all"
destinations = ["file"]

[[destinations]]
name = "file"
outputs = ["file"]

[[outputs.file]]
alias = "file"
files = ["${path.join(dir, 'out.lp')}"]
`,
    );
    const p = startViva(['collector', '-c', cfg.file, '--log-level', 'debug']);
    running.push(p);
    const gc = await firstIdleGc(p);
    expect(p.stderr()).toContain('collector started');
    expect(gc.heap_mb_after).toBeLessThan(gc.heap_mb_before);
  });

  it('should run the idle GC in an idle agent and shrink its heap', { timeout: 90_000 }, async () => {
    const dir = tempDir('viva-idle-agent-');
    dirs.push(dir);
    const file = path.join(dir, 'agent.toml');
    fs.writeFileSync(
      file,
      `[agent]
interval = "10s"
http_listen = "127.0.0.1:${await freePort()}"
data_dir = "${path.join(dir, 'data')}"

[[inputs.mem]]

[[outputs.discard]]
`,
    );
    const p = startViva(['agent', '-c', file, '--log-level', 'debug']);
    running.push(p);
    const gc = await firstIdleGc(p);
    expect(gc.heap_mb_after).toBeLessThan(gc.heap_mb_before);
  });
});

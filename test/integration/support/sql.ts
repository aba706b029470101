/**
 * The SQL inputs' scenario with a real `viva` agent: an events table read incrementally into a
 * file output, the agent stopped (SIGTERM), rows added, the agent started again on the same data
 * directory. Each row must come out exactly once, in order, none skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { counterValue, freePort, scrape, startViva, waitFor, type VivaProcess } from '../../helpers/viva.ts';

/** Lines of a file output (none while it does not exist). */
export function fileLines(f: string): string[] {
  return fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
}

/** What the scenario needs of one database. */
export interface RestartScenario {
  dir: string;
  /** The [[inputs.sql]] table(s), reading the events incrementally (measurement `events`, field `id`). */
  inputToml: string;
  /** Environment of the agent (the dsn, from the environment as a user would keep it). */
  env: NodeJS.ProcessEnv;
  /** Adds events with these ids. */
  insert: (ids: number[]) => Promise<void>;
}

function agent(s: RestartScenario, port: number): VivaProcess {
  const file = path.join(s.dir, 'agent.toml');
  fs.writeFileSync(
    file,
    `[agent]
interval = "200ms"
flush_interval = "100ms"
http_listen = "127.0.0.1:${port}"
data_dir = "${s.dir}/data"
omit_hostname = true

${s.inputToml}

[[outputs.file]]
files = ["${s.dir}/out.lp"]
`,
  );
  return startViva(['agent', '-c', file], { env: s.env });
}

const idOf = (line: string): number => Number(/[ ,]id=(\d+)i/.exec(line)?.[1] ?? NaN);

/** Runs the scenario; returns the lines written. */
export async function readOnceAcrossRestart(s: RestartScenario): Promise<string[]> {
  const out = path.join(s.dir, 'out.lp');
  await s.insert([1, 2, 3, 4, 5]);
  const port = await freePort();
  const first = agent(s, port);
  try {
    await waitFor(() => fileLines(out).length >= 5, 'the first five events', 60_000);
    // Gathers after the first find nothing new.
    await waitFor(
      async () =>
        counterValue(await scrape(port), 'viva_input_gather_duration_seconds_count', { plugin: 'sql' }) >= 5,
      'further gathers',
      60_000,
    );
    expect(fileLines(out)).toHaveLength(5);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  } finally {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  }
  await s.insert([6, 7, 8]);
  const second = agent(s, await freePort());
  try {
    await waitFor(() => fileLines(out).length >= 8, 'the three new events after the restart', 60_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  } finally {
    if (second.child.exitCode === null) second.child.kill('SIGKILL');
  }
  const lines = fileLines(out);
  expect(lines.map(idOf)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  return lines;
}

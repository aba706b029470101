/**
 * End-to-end for plugin authors: the real `viva agent` loading the example external package by
 * path, rejecting broken plugin modules with exit code 3, and a freshly scaffolded plugin whose
 * generated test passes and which the agent loads and runs.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { repoRoot, runViva, startViva, waitFor, type VivaProcess } from '../helpers/viva.ts';

// Under the repository (var/ is git-ignored), so that configs name the example by a relative
// path and scaffolded plugins resolve `viva/sdk` as they do for an author.
fs.mkdirSync(path.join(repoRoot, 'var'), { recursive: true });
const base = fs.mkdtempSync(path.join(repoRoot, 'var', 'tmp-plugins-e2e-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const running: VivaProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

let n = 0;
/** A fresh directory under `base` holding the given files; returns its path. */
function caseDir(files: Record<string, string>): string {
  const dir = path.join(base, `case${++n}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const lines = (f: string): string[] =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

const AGENT = `[agent]
interval = "100ms"
flush_interval = "100ms"
omit_hostname = true
http_listen = ""
`;

/** Starts an agent on DIR/viva.toml. */
function agent(dir: string): VivaProcess {
  const p = startViva(['agent', '-c', path.join(dir, 'viva.toml')]);
  running.push(p);
  return p;
}

/** Runs an agent until `ready` holds for the output file, then stops it with SIGTERM. */
async function runAgentUntil(
  dir: string,
  out: string,
  ready: (l: string[]) => boolean,
): Promise<{ lines: string[]; log: string }> {
  const p = agent(dir);
  await waitFor(
    () => ready(lines(out)) || p.child.exitCode !== null,
    'the agent to write the expected lines',
  );
  expect(p.stderr()).not.toContain('"level":50');
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
  return { lines: lines(out), log: p.stderr() };
}

const EXAMPLE = path.join(repoRoot, 'examples', 'viva-plugin-example');

describe('external plugins in the real agent', () => {
  it("should run the example package's input and processor into a file output", async () => {
    const dir = caseDir({});
    const out = path.join(dir, 'out.lp');
    const rel = path.relative(dir, path.join(EXAMPLE, 'index.ts'));
    fs.writeFileSync(
      path.join(dir, 'viva.toml'),
      `plugins = ["${rel}"]\n\n${AGENT}\n[[inputs.random_walk]]\nwalkers = 2\nseed = 7\n\n` +
        `[[processors.uppercase_tags]]\n\n[[outputs.file]]\nfiles = ["${out}"]\n`,
    );
    const { lines: got } = await runAgentUntil(dir, out, (l) => l.length >= 4);
    for (const line of got)
      expect(line).toMatch(/^random_walk,walker=W[01] position=-?\d+(\.\d+)?(e-?\d+)?,steps=\d+i \d{19}$/);
    expect(new Set(got.map((l) => l.split(' ')[0]))).toEqual(
      new Set(['random_walk,walker=W0', 'random_walk,walker=W1']),
    );
    expect(
      got.filter((l) => l.startsWith('random_walk,walker=W0')).map((l) => /steps=(\d+)i/.exec(l)?.[1]),
    ).toEqual(got.filter((l) => l.startsWith('random_walk,walker=W0')).map((_l, i) => String(i + 1)));
  });

  it("should keep the example's input running when a reload adds the example's processor", async () => {
    const dir = caseDir({});
    const out = path.join(dir, 'out.lp');
    const config = (processor: string): string =>
      `plugins = ["${path.relative(dir, EXAMPLE)}"]\n\n${AGENT}\n[[inputs.random_walk]]\nwalkers = 1\n\n` +
      `${processor}[[outputs.file]]\nfiles = ["${out}"]\n`;
    fs.writeFileSync(path.join(dir, 'viva.toml'), config(''));
    const p = agent(dir);
    await waitFor(() => lines(out).length >= 2, 'lower-case lines before the reload');
    fs.writeFileSync(path.join(dir, 'viva.toml'), config('[[processors.uppercase_tags]]\n\n'));
    await waitFor(
      () => lines(out).some((l) => l.startsWith('random_walk,walker=W0')),
      'upper-case lines after the reload',
    );
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    // The input was kept across the reload: its step count goes on without starting over.
    const steps = lines(out).map((l) => Number(/steps=(\d+)i/.exec(l)?.[1]));
    expect(steps).toEqual(steps.map((_s, i) => i + 1));
    expect(p.stderr()).toContain('"msg":"config reloaded"');
  });

  it('should load the example package named by a table with package = "<path>"', async () => {
    const dir = caseDir({});
    const pkg = path.relative(dir, EXAMPLE);
    fs.writeFileSync(
      path.join(dir, 'viva.toml'),
      `[[inputs.random_walk]]\npackage = "${pkg}"\n[[outputs.discard]]\n`,
    );
    const r = await runViva(['config', 'check', '-c', path.join(dir, 'viva.toml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it.each([
    ['a missing module', './nowhere.ts', {}, 'module not found'],
    [
      'a module that throws at import',
      './boom.ts',
      { 'boom.ts': 'throw new Error("license key missing");\n' },
      'failed to import: license key missing',
    ],
    [
      'a module without definitions',
      './empty.ts',
      { 'empty.ts': 'export const version = 1;\n' },
      'exports no plugin definitions',
    ],
  ] as const)('should exit 3 naming the module for %s', async (_what, spec, files, reason) => {
    const dir = caseDir({ ...files, 'viva.toml': `plugins = ["${spec}"]\n${AGENT}\n[[outputs.discard]]\n` });
    const config = path.join(dir, 'viva.toml');
    const r = await runViva(['agent', '-c', config]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('VIVA_ERR_PLUGIN_LOAD');
    expect(r.stderr).toContain(`${config}: plugin module "${spec}": ${reason}`);
  });
});

/** Runs vitest on a folder the way a plugin author does; resolves with exit code and output. */
function vitest(folder: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'FORCE_COLOR'),
    ),
    NO_COLOR: '1',
  };
  const bin = path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
  const child = spawn(process.execPath, [bin, 'run', '--root', folder], { cwd: folder, env, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('a scaffolded plugin', () => {
  it('should pass its generated tests, and load and run in the agent by path', async () => {
    const dir = caseDir({});
    for (const [kind, name] of [
      ['input', 'probe_in'],
      ['processor', 'probe_tag'],
      ['output', 'probe_out'],
    ])
      expect((await runViva(['plugin', 'new', kind, name, '--dir', dir])).code).toBe(0);

    const t = await vitest(dir);
    expect(t.output).toMatch(/Tests\s+3 passed/);
    expect(t.code).toBe(0);

    const out = path.join(dir, 'out.lp');
    fs.writeFileSync(
      path.join(dir, 'viva.toml'),
      `plugins = ["./probe_in/index.ts", "./probe_tag/index.ts", "./probe_out/index.ts"]\n\n${AGENT}\n` +
        `[[inputs.probe_in]]\nvalue = 5\n\n[[processors.probe_tag]]\n\n` +
        `[[outputs.probe_out]]\nlog_every = 1\n\n[[outputs.file]]\nfiles = ["${out}"]\n`,
    );
    const { lines: got, log } = await runAgentUntil(dir, out, (l) => l.length >= 2);
    expect(got[0]).toMatch(/^probe_in,processed_by=probe_tag value=5 \d{19}$/);
    // The count is cumulative and the first flush may carry more than one metric.
    expect(log).toMatch(/"plugin":"outputs.probe_out".*"written":[1-9]\d*,.*"msg":"metrics written"/);
  });
});

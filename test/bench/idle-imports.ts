/**
 * What a bare node pays to import each heavy dependency of the idle agent: RSS and V8 heap after
 * a full GC, against a node that imports nothing. Each import runs in its own process, twice with
 * one compile cache (as the agent starts after its first start), the second counted.
 *
 *   node test/bench/idle-imports.ts
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

const IMPORTS: [string, string[]][] = [
  ['(nothing)', []],
  ['one .ts file, no compile cache (the type stripper)', ['./core/model/errors/codes.ts']],
  ['zod', ['zod']],
  [
    'OpenTelemetry SDK + Prometheus exporter + resources',
    ['@opentelemetry/sdk-metrics', '@opentelemetry/exporter-prometheus', '@opentelemetry/resources'],
  ],
  ['pino', ['pino']],
  ['chokidar', ['chokidar']],
  ['tsyringe + reflect-metadata', ['reflect-metadata', 'tsyringe']],
  ['smol-toml', ['smol-toml']],
  ['undici', ['undici']],
  ['node:http + node:https', ['node:http', 'node:https']],
];

const PROBE = `
const fs = await import('node:fs');
for (const m of JSON.parse(process.env.IMPORTS)) await import(m.startsWith('./') ? new URL(m, process.env.ROOT_URL).href : m);
globalThis.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
const status = fs.readFileSync('/proc/self/status', 'utf8');
const kb = (k) => Number(new RegExp(k + ':\\\\s+(\\\\d+)').exec(status)[1]);
const h = process.memoryUsage();
process.stdout.write(JSON.stringify({ rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), heap: h.heapUsed / 1024 }));
`;

function measure(
  mods: string[],
  cache: string | undefined,
): { rss: number; anon: number; file: number; heap: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', PROBE], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: {
      ...process.env,
      IMPORTS: JSON.stringify(mods),
      ROOT_URL: `file://${repoRoot}/`,
      ...(cache === undefined ? { NODE_DISABLE_COMPILE_CACHE: '1' } : { NODE_COMPILE_CACHE: cache }),
    },
  });
  if (r.status !== 0) throw new Error(`${mods.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { rss: number; anon: number; file: number; heap: number };
}

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'viva-idle-imports-'));
const mb = (kb: number): string => (kb / 1024).toFixed(1);
const base = measure([], cache);
console.log(
  `node ${process.version}; MB over a bare node (${mb(base.rss)} MB RSS, ${mb(base.heap)} MB heap)`,
);
console.log('| import | RSS | anon | file-backed | V8 heap after GC |\n| --- | ---: | ---: | ---: | ---: |');
for (const [name, mods] of IMPORTS.slice(1)) {
  const stripper = name.includes('no compile cache');
  measure(mods, stripper ? undefined : cache);
  const m = measure(mods, stripper ? undefined : cache);
  console.log(
    `| ${name} | +${mb(m.rss - base.rss)} | +${mb(m.anon - base.anon)} | +${mb(m.file - base.file)} | +${mb(m.heap - base.heap)} |`,
  );
}
fs.rmSync(cache, { recursive: true, force: true });

/**
 * `npm run bench:peers`: VIVA and Telegraf side by side, alternately in one run, on the same
 * machine, the same load generator and the same corpus (test/bench/loadgen.ts). Prints one JSON
 * line per run and a markdown table of the medians per scenario:
 *
 *   npm run bench:peers -- --rounds 2 --duration 20
 *   npm run bench:peers -- --scenario http-pipeline --rounds 3
 *
 * Telegraf is built on first use with `go install` (test/bench/telegraf.ts) into
 * ~/.cache/viva-peers; where Go is missing the peer is skipped with a message and VIVA runs alone.
 * Both sides are lossless here: VIVA's outputs block when full, Telegraf's discard output never
 * fills its buffer.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { runScenario } from './run.ts';
import { scenario } from './scenarios.ts';
import { ensureTelegraf, runTelegraf, TELEGRAF_CONFIGS, TELEGRAF_VERSION } from './telegraf.ts';

const USAGE = `usage: node test/bench/peers.ts [options]
  --scenario NAME   repeatable or comma-separated (default: http-to-discard, http-pipeline,
                    tcp-passthrough, idle-host)
  --rounds N        rounds; each runs every scenario on VIVA, then on Telegraf (default 2)
  --duration S      measured window of the load scenarios (default 20; idle-host 60)
  --warmup S        load before measuring (default 5)
  --json FILE       also append the result lines to FILE
  --no-peer         VIVA only`;

const { values: a } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    json: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

type Row = Record<string, unknown>;

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (s.length === 0) return NaN;
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function emit(row: Row): void {
  const line = JSON.stringify({ ...row, time: new Date().toISOString() });
  console.log(line);
  if (a.json !== undefined) fs.appendFileSync(a.json, line + '\n');
}

/** The markdown table of the medians: one line per scenario, VIVA's and Telegraf's columns. */
function table(rows: Row[], names: string[], peer: boolean): string {
  const num = (r: Row, k: string): number => (typeof r[k] === 'number' ? r[k] : NaN);
  const med = (who: string, sc: string, k: string): number =>
    median(rows.filter((r) => r.peer === who && r.scenario === sc).map((r) => num(r, k)));
  const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const cols: [string, string, number][] = [
    ['lines/s', 'accepted_per_s', 0],
    ['CPU s per M lines', 'cpu_s_per_million', 2],
    ['peak RSS MB', 'peak_rss_mb', 0],
    ['RSS at end MB', 'rss_end_mb', 0],
    ['request p99 ms', 'request_p99_ms', 1],
  ];
  const who = peer ? ['viva', `telegraf ${TELEGRAF_VERSION}`] : ['viva'];
  const head = ['scenario', ...cols.flatMap(([c]) => who.map((w) => `${w.split(' ')[0]} ${c}`))];
  const out = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const sc of names)
    out.push(`| ${sc} | ${cols.flatMap(([, k, d]) => who.map((w) => fmt(med(w, sc, k), d))).join(' | ')} |`);
  return out.join('\n');
}

async function main(): Promise<number> {
  if (a.help) {
    console.log(USAGE);
    return 0;
  }
  const names = (a.scenario ?? ['http-to-discard', 'http-pipeline', 'tcp-passthrough', 'idle-host'])
    .flatMap((s) => s.split(','))
    .filter(Boolean);
  for (const n of names)
    if (TELEGRAF_CONFIGS[n] === undefined) throw new Error(`scenario ${n} has no Telegraf counterpart`);
  let bin: string | null = null;
  if (!a['no-peer']) {
    const t = ensureTelegraf();
    if ('skip' in t) console.error(`bench:peers: ${t.skip}`);
    else bin = t.bin;
  }
  const rows: Row[] = [];
  for (let round = 1; round <= Number(a.rounds); round++) {
    for (const name of names) {
      const { scenario: sc } = scenario(name);
      const durationS = sc.durationS ?? Number(a.duration);
      const shape = { durationS, warmupS: Number(a.warmup) };
      const v = await runScenario(sc, {
        ...shape,
        load: {},
        nodeFlags: [],
        keep: false,
        parseWorkers: undefined,
        maxQueuedBytes: 0,
        outputBatch: 1000,
        seriesCache: undefined,
        bufferLimit: undefined,
        spoolFsync: 'always',
      });
      // The same measure for both: lines the load generator saw accepted (idle: none offered).
      const vivaRow: Row = {
        peer: 'viva',
        round,
        scenario: name,
        accepted_per_s: sc.load === null ? undefined : v.accepted_per_s,
        cpu_s_per_million: sc.load === null ? undefined : v.cpu_s_per_million,
        agent_cpu_util: v.agent_cpu_util,
        peak_rss_mb: v.peak_rss_mb,
        rss_end_mb: v.rss_end_mb,
        request_p99_ms: v.request_p99_ms,
        drops: v.drops,
        others_cpu_util: v.others_cpu_util,
      };
      rows.push(vivaRow);
      emit(vivaRow);
      if (bin === null) continue;
      const t = await runTelegraf(bin, name, sc.load, shape);
      const tRow = { ...t, round };
      rows.push(tRow);
      emit(tRow);
    }
  }
  console.log(`\nmedians of ${a.rounds} round(s), node ${process.version}:\n`);
  console.log(table(rows, names, bin !== null));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);

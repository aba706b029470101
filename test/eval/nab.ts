/**
 * NAB evaluation of the anomaly processor: `node test/eval/nab.ts` (npm run eval:nab).
 *
 * Every CSV of the NAB subset is replayed, in order, as one series through the real `anomaly`
 * processor, once per detector, with ONE fixed configuration per detector (the processor's
 * defaults plus `detector = ...`; nothing is tuned per file). The per-row scores are then flagged
 * as the processor flags them (score >= threshold, after warmup, at most once per cooldown) for a
 * sweep of thresholds; the threshold is chosen once per detector and profile over the whole
 * subset, as NAB does. A final replay with that threshold checks the processor's own flags agree.
 *
 * NAB_DIR overrides the data directory (default: test/data/nab in the repository).
 * For exploring (not for the reported figures): NAB_DETECTORS=ewma,robust picks detectors and
 * NAB_SET='{"cooldown":0}' overrides config keys of every detector.
 */
import { Metric } from '../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../core/plugin/testing.ts';
import type { ProcessorInstance } from '../../core/plugin/types.ts';
import { anomalyProcessor } from '../../plugins/processors/anomaly/index.ts';
import { loadNab, nabDir, type NabFile } from './nab-data.ts';
import { layout, normalise, PROFILES, scoreFile, type FileLayout, type Profile } from './nab-score.ts';

const DETECTORS = (process.env.NAB_DETECTORS ?? 'ewma,robust,holt_winters').split(',');
const OVERRIDES = JSON.parse(process.env.NAB_SET ?? '{}') as Record<string, unknown>;
const BATCH = 1000;

interface Replay {
  scores: Float64Array;
  flags: Uint8Array;
}

/** Replays one file through a fresh processor; returns each row's score and flag. */
async function replay(file: NabFile, table: Record<string, unknown>): Promise<Replay> {
  const p = (await anomalyProcessor.create(
    parseConfig(anomalyProcessor, table),
    testContext(anomalyProcessor),
  )) as ProcessorInstance;
  const n = file.values.length;
  const scores = new Float64Array(n);
  const flags = new Uint8Array(n);
  for (let at = 0; at < n; at += BATCH) {
    const batch: Metric[] = [];
    for (let i = at; i < Math.min(n, at + BATCH); i++)
      batch.push(new Metric('nab', { file: file.key }, { value: file.values[i] }, file.times[i]));
    const out = (await p.process(batch)) as Metric[];
    for (let i = 0; i < batch.length; i++) {
      scores[at + i] = out[i].fields.value_anomaly_score as number;
      flags[at + i] = out[i].fields.value_anomaly === true ? 1 : 0;
    }
  }
  await p.stop?.();
  return { scores, flags };
}

/** The processor's flag rule applied to recorded scores (row i is sample i + 1 of the series). */
function flagsAt(scores: Float64Array, threshold: number, cooldown: number): Uint8Array {
  const flags = new Uint8Array(scores.length);
  let last = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    if (scores[i] >= threshold && i + 1 - last > cooldown) {
      flags[i] = 1;
      last = i + 1;
    }
  }
  return flags;
}

interface Result {
  threshold: number;
  score: number;
  tp: number;
  fp: number;
  fn: number;
  byCategory: Map<string, { raw: number; windows: number }>;
}

function evaluate(
  files: NabFile[],
  lays: FileLayout[],
  flags: Uint8Array[],
  p: Profile,
): Omit<Result, 'threshold'> {
  let raw = 0;
  let windows = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const byCategory = new Map<string, { raw: number; windows: number }>();
  for (let k = 0; k < files.length; k++) {
    const r = scoreFile(lays[k], flags[k], p);
    raw += r.raw;
    windows += lays[k].windows;
    tp += r.tp;
    fp += r.fp;
    fn += r.fn;
    const c = byCategory.get(files[k].category) ?? { raw: 0, windows: 0 };
    c.raw += r.raw;
    c.windows += lays[k].windows;
    byCategory.set(files[k].category, c);
  }
  return { score: normalise(raw, windows, p), tp, fp, fn, byCategory };
}

/** Sweeps thresholds 0.01..1 and keeps the best for the profile. */
function optimise(
  files: NabFile[],
  lays: FileLayout[],
  scores: Float64Array[],
  cooldown: number,
  p: Profile,
): Result {
  let best: Result | undefined;
  for (let t = 1; t <= 200; t++) {
    const threshold = t / 200;
    const r = evaluate(
      files,
      lays,
      scores.map((s) => flagsAt(s, threshold, cooldown)),
      p,
    );
    if (best === undefined || r.score > best.score) best = { threshold, ...r };
  }
  return best as Result;
}

const fmt = (v: number): string => (Number.isNaN(v) ? '   n/a' : v.toFixed(1).padStart(6));

async function main(): Promise<void> {
  const dir = nabDir();
  const files = loadNab(dir);
  const lays = files.map(layout);
  const categories = [...new Set(files.map((f) => f.category))];
  const windows = lays.reduce((s, l) => s + l.windows, 0);
  const rows = files.reduce((s, f) => s + f.values.length, 0);
  console.log(`NAB subset: ${dir}\n${files.length} files, ${rows} rows, ${windows} anomaly windows`);
  if (Object.keys(OVERRIDES).length > 0) console.log(`overrides: ${JSON.stringify(OVERRIDES)}`);
  console.log('');
  const summary: string[] = [];
  for (const detector of DETECTORS) {
    const table = { detector, ...OVERRIDES };
    const cfg = parseConfig(anomalyProcessor, table);
    const started = performance.now();
    const runs: Replay[] = [];
    for (const f of files) runs.push(await replay(f, table));
    const ms = performance.now() - started;
    const scores = runs.map((r) => r.scores);
    const results = Object.entries(PROFILES).map(
      ([name, p]) => [name, optimise(files, lays, scores, cfg.cooldown, p)] as const,
    );
    const std = results[0][1];
    // The processor itself, run at the chosen threshold, must flag exactly the rows scored above.
    let agree = true;
    for (let k = 0; k < files.length; k++) {
      const own = (await replay(files[k], { ...table, threshold: std.threshold })).flags;
      const sim = flagsAt(scores[k], std.threshold, cfg.cooldown);
      if (own.some((v, i) => v !== sim[i])) agree = false;
    }
    console.log(
      `detector ${detector}  (${((ms * 1e6) / rows).toFixed(0)} ns/row incl. replay; processor flags ${agree ? 'agree' : 'DISAGREE'})`,
    );
    for (const [name, r] of results)
      console.log(
        `  ${name.padEnd(14)} score ${fmt(r.score)}  threshold ${r.threshold.toFixed(3)}  TP ${r.tp}  FP ${r.fp}  FN ${r.fn}`,
      );
    console.log('  standard profile by category:');
    for (const c of categories) {
      const v = std.byCategory.get(c) ?? { raw: 0, windows: 0 };
      const shown =
        v.windows === 0
          ? `raw ${v.raw.toFixed(2)} (no windows: FP cost only)`
          : `score ${fmt(normalise(v.raw, v.windows, PROFILES.standard)).trim()}`;
      console.log(`    ${c.padEnd(24)} ${shown}`);
    }
    console.log('');
    summary.push(`${detector.padEnd(13)} ${results.map(([, r]) => fmt(r.score)).join(' ')}`);
    if (!agree) process.exitCode = 1;
  }
  console.log('summary (normalised NAB score; standard, reward_low_FP, reward_low_FN):');
  for (const s of summary) console.log('  ' + s);
}

await main();

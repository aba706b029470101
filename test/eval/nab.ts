/**
 * NAB evaluation of the anomaly processor: `node test/eval/nab.ts` (npm run eval:nab).
 *
 * Every CSV of the NAB subset is replayed, in order, as one series through the real `anomaly`
 * processor, once per candidate configuration (the processor's defaults plus `detector = ...`;
 * nothing is tuned per file). The per-row scores are flagged as the processor flags them
 * (score >= threshold, after warmup, at most once per cooldown).
 *
 * Headline: the HELD-OUT score, leave-one-category-out. For each category, the threshold (and, for
 * the "chosen per fold" line, the detector too) is chosen on the other categories only; the
 * held-out category's files are flagged with that choice; all out-of-fold flags are then scored
 * together (a fold such as artificialNoAnomaly has no windows of its own, only false positives).
 * Nothing used to score a file was chosen on that file's category.
 * Secondary: the per-subset score, threshold chosen with hindsight over the whole subset (NAB's way),
 * and the score "as deployed" (the processor's own threshold, no choice at all).
 *
 * NAB_DIR overrides the data directory (default: test/data/nab in the repository). With --all
 * (npm run eval:nab-all) the unseen categories of test/data/nab-unseen join the subset: seven
 * categories, each held out in turn.
 * For exploring (not for the reported figures): NAB_DETECTORS=ewma,robust picks detectors and
 * NAB_SET='{"cooldown":0}' overrides config keys of every detector. NAB_VARIANTS adds named
 * configurations, e.g. NAB_VARIANTS='{"two-part":{"detector":"ensemble","ensemble_parts":["adaptive","tail"]}}'.
 *
 * Each held-out score comes with a 95 % interval: a bootstrap over files (resampled with replacement
 * within each category, 2,000 times, seeded), the flags fixed. With more than one configuration,
 * each one's held-out difference from the first's is bootstrapped the same way, paired (the same
 * resampled files for both): an interval that contains 0 means the files cannot tell them apart.
 */
import path from 'node:path';
import { Metric } from '../../core/model/metric/metric.ts';
import { parseConfig, testContext } from '../../core/plugin/testing.ts';
import type { ProcessorInstance } from '../../core/plugin/types.ts';
import { rng } from '../bench/corpus.ts';
import { anomalyConfig, thresholdOf } from '../../plugins/processors/anomaly/config.ts';
import { anomalyProcessor } from '../../plugins/processors/anomaly/index.ts';
import { loadNab, nabDir, type NabFile } from './nab-data.ts';
import { layout, normalise, PROFILES, scoreFile, type FileLayout, type Profile } from './nab-score.ts';

const ALL_DETECTORS = anomalyConfig.shape.detector.unwrap().options as readonly string[];
const DETECTORS = process.env.NAB_DETECTORS?.split(',') ?? [...ALL_DETECTORS];
const OVERRIDES = JSON.parse(process.env.NAB_SET ?? '{}') as Record<string, unknown>;
const VARIANTS = JSON.parse(process.env.NAB_VARIANTS ?? '{}') as Record<string, Record<string, unknown>>;
const RESAMPLES = 2000;
const BATCH = 1000;
const STD = PROFILES.standard;

interface Replay {
  scores: Float64Array;
  flags: Uint8Array;
}

/** Replays one file through a fresh processor; returns each row's score and flag. */
export async function replay(file: NabFile, table: Record<string, unknown>): Promise<Replay> {
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
export function flagsAt(scores: Float64Array, threshold: number, cooldown: number): Uint8Array {
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

export interface Result {
  score: number;
  tp: number;
  fp: number;
  fn: number;
  byCategory: Map<string, { raw: number; windows: number; tp: number; fp: number; fn: number }>;
}

export function evaluate(files: NabFile[], lays: FileLayout[], flags: Uint8Array[], p: Profile): Result {
  let raw = 0;
  let windows = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const byCategory: Result['byCategory'] = new Map();
  for (let k = 0; k < files.length; k++) {
    const r = scoreFile(lays[k], flags[k], p);
    raw += r.raw;
    windows += lays[k].windows;
    tp += r.tp;
    fp += r.fp;
    fn += r.fn;
    const c = byCategory.get(files[k].category) ?? { raw: 0, windows: 0, tp: 0, fp: 0, fn: 0 };
    c.raw += r.raw;
    c.windows += lays[k].windows;
    c.tp += r.tp;
    c.fp += r.fp;
    c.fn += r.fn;
    byCategory.set(files[k].category, c);
  }
  return { score: normalise(raw, windows, p), tp, fp, fn, byCategory };
}

const GRID = Array.from({ length: 200 }, (_, t) => (t + 1) / 200);

/** Best threshold of the grid 0.005..1 for the files `use` selects (scored together). */
export function bestThreshold(
  files: NabFile[],
  lays: FileLayout[],
  scores: Float64Array[],
  cooldown: number,
  p: Profile,
  use: (f: NabFile) => boolean,
): { threshold: number; score: number } {
  const idx = files.map((f, k) => (use(f) ? k : -1)).filter((k) => k >= 0);
  const fs = idx.map((k) => files[k]);
  const ls = idx.map((k) => lays[k]);
  let best = { threshold: 1, score: -Infinity };
  for (const threshold of GRID) {
    const r = evaluate(
      fs,
      ls,
      idx.map((k) => flagsAt(scores[k], threshold, cooldown)),
      p,
    );
    if (r.score > best.score) best = { threshold, score: r.score };
  }
  return best;
}

export interface Candidate {
  name: string;
  threshold: number;
  cooldown: number;
  scores: Float64Array[];
}

/**
 * Leave-one-category-out: for each category, `choose` picks a candidate and threshold on the other
 * categories; that category's files are flagged with it; all files are then scored together.
 */
export function heldOut(
  files: NabFile[],
  lays: FileLayout[],
  cands: Candidate[],
  p: Profile,
): { result: Result; choices: string[]; flags: Uint8Array[] } {
  const flags: Uint8Array[] = new Array<Uint8Array>(files.length);
  const choices: string[] = [];
  for (const held of new Set(files.map((f) => f.category))) {
    let pick = { cand: cands[0], threshold: 1, score: -Infinity };
    for (const cand of cands) {
      const b = bestThreshold(files, lays, cand.scores, cand.cooldown, p, (f) => f.category !== held);
      if (b.score > pick.score) pick = { cand, ...b };
    }
    choices.push(`${held}: ${pick.cand.name} @ ${pick.threshold.toFixed(3)}`);
    files.forEach((f, k) => {
      if (f.category === held) flags[k] = flagsAt(pick.cand.scores[k], pick.threshold, pick.cand.cooldown);
    });
  }
  return { result: evaluate(files, lays, flags, p), choices, flags };
}

/**
 * 95 % bootstrap interval of the normalised score of each flag set in `sets`, and of each one's
 * difference from the first (paired: every resample draws the same files for all). Files are drawn
 * with replacement within their category, so every resample keeps the categories' sizes.
 */
export function bootstrap(
  files: NabFile[],
  lays: FileLayout[],
  sets: Uint8Array[][],
  p: Profile,
  resamples = RESAMPLES,
): { score: [number, number]; diff: [number, number] }[] {
  const raws = sets.map((flags) => files.map((_, k) => scoreFile(lays[k], flags[k], p).raw));
  const byCat = new Map<string, number[]>();
  files.forEach((f, k) => byCat.set(f.category, [...(byCat.get(f.category) ?? []), k]));
  const groups = [...byCat.values()];
  const rand = rng(20261204);
  const scores = sets.map(() => new Float64Array(resamples));
  for (let r = 0; r < resamples; r++) {
    const raw = new Float64Array(sets.length);
    let windows = 0;
    for (const g of groups)
      for (let i = 0; i < g.length; i++) {
        const k = g[Math.floor(rand() * g.length)];
        windows += lays[k].windows;
        for (let s = 0; s < sets.length; s++) raw[s] += raws[s][k];
      }
    for (let s = 0; s < sets.length; s++) scores[s][r] = normalise(raw[s], windows, p);
  }
  const interval = (v: Float64Array): [number, number] => {
    const sorted = Float64Array.from(v).sort();
    return [sorted[Math.floor(0.025 * resamples)], sorted[Math.ceil(0.975 * resamples) - 1]];
  };
  return scores.map((v) => ({ score: interval(v), diff: interval(v.map((x, r) => x - scores[0][r])) }));
}

/** Per-category scores of `r` (raw false-positive cost for a category without windows) and TP/FP/FN. */
function byCategory(r: Result, categories: string[]): string {
  return categories
    .map((c) => {
      const v = r.byCategory.get(c) ?? { raw: 0, windows: 0, tp: 0, fp: 0, fn: 0 };
      const shown = v.windows === 0 ? `raw ${v.raw.toFixed(2)}` : normalise(v.raw, v.windows, STD).toFixed(1);
      return `${c} ${shown} (${v.tp}/${v.fp}/${v.fn})`;
    })
    .join(', ');
}

const fmt = (v: number): string => (Number.isNaN(v) ? '   n/a' : v.toFixed(1).padStart(6));
const counts = (r: Result): string => `TP ${r.tp}  FP ${r.fp}  FN ${r.fn}`;

async function main(): Promise<void> {
  // --all: the subset and the unseen categories together (seven categories, leave-one-out over them).
  const dirs = process.argv.includes('--all')
    ? [nabDir(), path.join(nabDir(), '..', 'nab-unseen')]
    : [nabDir()];
  const dir = dirs.join(' + ');
  const files = dirs.flatMap((d) => loadNab(d));
  const lays = files.map(layout);
  const categories = [...new Set(files.map((f) => f.category))];
  const windows = lays.reduce((s, l) => s + l.windows, 0);
  const rows = files.reduce((s, f) => s + f.values.length, 0);
  console.log(`NAB subset: ${dir}\n${files.length} files, ${rows} rows, ${windows} anomaly windows`);
  if (Object.keys(OVERRIDES).length > 0) console.log(`overrides: ${JSON.stringify(OVERRIDES)}`);
  console.log('');
  const cands: Candidate[] = [];
  const summary: string[] = [];
  const heldFlags: Uint8Array[][] = [];
  const configs: [string, Record<string, unknown>][] = [
    ...DETECTORS.map((d): [string, Record<string, unknown>] => [d, { detector: d, ...OVERRIDES }]),
    ...Object.entries(VARIANTS).map(([name, t]): [string, Record<string, unknown>] => [
      name,
      { ...OVERRIDES, ...t },
    ]),
  ];
  for (const [detector, table] of configs) {
    const cfg = parseConfig(anomalyProcessor, table);
    const started = performance.now();
    const runs: Replay[] = [];
    for (const f of files) runs.push(await replay(f, table));
    const ms = performance.now() - started;
    const scores = runs.map((r) => r.scores);
    const cand = { name: detector, threshold: thresholdOf(cfg), cooldown: cfg.cooldown, scores };
    cands.push(cand);
    const held = heldOut(files, lays, [cand], STD);
    heldFlags.push(held.flags);
    const [ci] = bootstrap(files, lays, [held.flags], STD);
    const deployed = evaluate(
      files,
      lays,
      runs.map((r) => r.flags),
      STD,
    );
    const hindsight = Object.entries(PROFILES).map(([name, p]) => {
      const b = bestThreshold(files, lays, scores, cfg.cooldown, p, () => true);
      return [
        name,
        b,
        evaluate(
          files,
          lays,
          scores.map((s) => flagsAt(s, b.threshold, cfg.cooldown)),
          p,
        ),
      ] as const;
    });
    const std = hindsight[0][2];
    // The processor itself, run at the chosen threshold, must flag exactly the rows scored above.
    let agree = true;
    for (let k = 0; k < files.length; k++) {
      const own = (await replay(files[k], { ...table, threshold: hindsight[0][1].threshold })).flags;
      const sim = flagsAt(scores[k], hindsight[0][1].threshold, cfg.cooldown);
      if (own.some((v, i) => v !== sim[i])) agree = false;
    }
    console.log(
      `detector ${detector}  (${((ms * 1e6) / rows).toFixed(0)} ns/row incl. replay; processor flags ${agree ? 'agree' : 'DISAGREE'})`,
    );
    console.log(
      `  held-out (standard)        score ${fmt(held.result.score)}  ${counts(held.result)}  95 % interval ${ci.score.map((v) => v.toFixed(1)).join(' to ')} (bootstrap over files)`,
    );
    console.log(`    thresholds per fold: ${held.choices.join('; ')}`);
    console.log(`    held-out by category: ${byCategory(held.result, categories)}`);
    console.log(
      `  as deployed (threshold ${thresholdOf(cfg)}) score ${fmt(deployed.score)}  ${counts(deployed)}`,
    );
    for (const [name, b, r] of hindsight)
      console.log(
        `  per-subset ${name.padEnd(14)} score ${fmt(r.score)}  threshold ${b.threshold.toFixed(3)}  ${counts(r)}`,
      );
    console.log('  per-subset standard profile by category:');
    for (const c of categories) {
      const v = std.byCategory.get(c) ?? { raw: 0, windows: 0, tp: 0, fp: 0, fn: 0 };
      const shown =
        v.windows === 0
          ? `raw ${v.raw.toFixed(2)} (no windows: FP cost only)`
          : `score ${fmt(normalise(v.raw, v.windows, STD)).trim()}`;
      console.log(`    ${c.padEnd(24)} ${shown}`);
    }
    console.log('');
    summary.push(
      `${detector.padEnd(18)} ${fmt(held.result.score)}   ${fmt(deployed.score)}  ${hindsight.map(([, , r]) => fmt(r.score)).join(' ')}`,
    );
    if (!agree) process.exitCode = 1;
  }
  if (cands.length > 1) {
    const cis = bootstrap(files, lays, heldFlags, STD);
    console.log(`held-out difference from ${cands[0].name} (paired bootstrap over files, 95 %):`);
    for (let i = 1; i < cands.length; i++)
      console.log(
        `  ${cands[i].name.padEnd(18)} ${cis[i].diff.map((v) => (v >= 0 ? '+' : '') + v.toFixed(1)).join(' to ')}`,
      );
    console.log('');
    const pipeline = heldOut(files, lays, cands, STD);
    console.log(`detector AND threshold chosen per fold on the other categories (standard):`);
    console.log(`  held-out score ${fmt(pipeline.result.score)}  ${counts(pipeline.result)}`);
    console.log(`    choices: ${pipeline.choices.join('; ')}`);
    console.log(`    held-out by category: ${byCategory(pipeline.result, categories)}\n`);
  }
  console.log('summary (normalised NAB score)');
  console.log('                   HELD-OUT  deployed  per-subset: standard, reward_low_FP, reward_low_FN');
  for (const s of summary) console.log('  ' + s);
}

if (import.meta.main) await main();

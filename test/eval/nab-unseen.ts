/**
 * The anomaly processor on NAB categories it was never tuned on: `node test/eval/nab-unseen.ts`
 * (npm run eval:nab-unseen).
 *
 * Everything that could be chosen — the detectors' design and parameters, the processor's
 * defaults, the threshold — was chosen on the subset in test/data/nab (or is the processor's
 * shipped default). The files in test/data/nab-unseen (NAB's realAWSCloudwatch, realAdExchange and
 * realTweets categories, none of them in the subset) are only scored, never used to choose. For
 * each configuration:
 *   - as deployed: the processor's own flags at its shipped threshold (no choice at all);
 *   - trained threshold: flagged at the threshold that scores best on the subset (standard profile);
 *   - NAB's optimiser: the raw per-row scores with NAB's threshold sweep over these very files
 *     (every distinct score a candidate, no cooldown), i.e. hindsight, as NAB reports published
 *     detectors: the figure to compare with their published scores on the same categories.
 * NAB_UNSEEN_DIR overrides the unseen data directory, NAB_DIR the training subset.
 */
import path from 'node:path';
import { parseConfig } from '../../core/plugin/testing.ts';
import { anomalyProcessor } from '../../plugins/processors/anomaly/index.ts';
import { thresholdOf } from '../../plugins/processors/anomaly/config.ts';
import { bestThreshold, evaluate, flagsAt, replay, type Result } from './nab.ts';
import { loadNab, nabDir, type NabFile } from './nab-data.ts';
import { layout, normalise, optimiseThreshold, PROFILES, type FileLayout } from './nab-score.ts';

const STD = PROFILES.standard;

/** The configurations scored: the default first, then the other detectors and the time clock. */
export const CANDIDATES: { name: string; table: Record<string, unknown> }[] = [
  { name: 'ensemble (default)', table: { detector: 'ensemble' } },
  { name: 'adaptive', table: { detector: 'adaptive' } },
  { name: 'adaptive, season_clock=samples', table: { detector: 'adaptive', season_clock: 'samples' } },
  { name: 'holt_winters', table: { detector: 'holt_winters' } },
  { name: 'ewma', table: { detector: 'ewma' } },
  { name: 'robust', table: { detector: 'robust' } },
];

/** NAB's published standard-profile scores on realAWSCloudwatch + realAdExchange + realTweets (issue 17). */
export const PUBLISHED_UNSEEN: Record<string, number> = {
  'Numenta HTM': 71.7,
  'Random Cut Forest': 58.1,
  relativeEntropy: 51.8,
  windowedGaussian: 44.6,
};

function unseenDir(): string {
  return process.env.NAB_UNSEEN_DIR ?? path.resolve(import.meta.dirname, '..', 'data', 'nab-unseen');
}

const fmt = (v: number): string => (Number.isNaN(v) ? '   n/a' : v.toFixed(1).padStart(6));

function byCategory(r: Result, categories: string[]): string {
  return categories
    .map((c) => {
      const v = r.byCategory.get(c) ?? { raw: 0, windows: 0 };
      return `${c} ${fmt(normalise(v.raw, v.windows, STD)).trim()}`;
    })
    .join(', ');
}

async function scoresOf(
  files: NabFile[],
  table: Record<string, unknown>,
): Promise<{ scores: Float64Array[]; flags: Uint8Array[] }> {
  const scores: Float64Array[] = [];
  const flags: Uint8Array[] = [];
  for (const f of files) {
    const r = await replay(f, table);
    scores.push(r.scores);
    flags.push(r.flags);
  }
  return { scores, flags };
}

async function main(): Promise<void> {
  const train = loadNab(nabDir());
  const trainLays = train.map(layout);
  const dir = unseenDir();
  const files = loadNab(dir);
  const lays: FileLayout[] = files.map(layout);
  const categories = [...new Set(files.map((f) => f.category))];
  const rows = files.reduce((s, f) => s + f.values.length, 0);
  const windows = lays.reduce((s, l) => s + l.windows, 0);
  console.log(`unseen NAB categories: ${dir}`);
  console.log(`  ${categories.join(', ')}: ${files.length} files, ${rows} rows, ${windows} anomaly windows`);
  console.log(`trained on: ${nabDir()} (${train.length} files)\n`);
  const summary: string[] = [];
  for (const c of CANDIDATES) {
    const cfg = parseConfig(anomalyProcessor, c.table);
    const t = await scoresOf(train, c.table);
    const trained = bestThreshold(train, trainLays, t.scores, cfg.cooldown, STD, () => true);
    const u = await scoresOf(files, c.table);
    const deployed = evaluate(files, lays, u.flags, STD);
    const atTrained = evaluate(
      files,
      lays,
      u.scores.map((s) => flagsAt(s, trained.threshold, cfg.cooldown)),
      STD,
    );
    const nab = Object.values(PROFILES).map((p) => optimiseThreshold(lays, u.scores, p));
    console.log(`${c.name}`);
    console.log(
      `  as deployed (threshold ${thresholdOf(cfg)})       ${fmt(deployed.score)}  TP ${deployed.tp}  FP ${deployed.fp}  FN ${deployed.fn}   by category: ${byCategory(deployed, categories)}`,
    );
    console.log(
      `  trained threshold ${trained.threshold.toFixed(3)}         ${fmt(atTrained.score)}  TP ${atTrained.tp}  FP ${atTrained.fp}  FN ${atTrained.fn}`,
    );
    console.log(
      `  NAB's optimiser on raw scores   ${fmt(nab[0].score)}  (reward_low_FP ${fmt(nab[1].score).trim()}, reward_low_FN ${fmt(nab[2].score).trim()}; threshold ${nab[0].threshold.toFixed(3)})`,
    );
    for (const cat of categories) {
      const k = files.map((f, i) => (f.category === cat ? i : -1)).filter((i) => i >= 0);
      const r = optimiseThreshold(
        k.map((i) => lays[i]),
        k.map((i) => u.scores[i]),
        STD,
      );
      console.log(`    ${cat.padEnd(20)} NAB's optimiser ${fmt(r.score)}`);
    }
    console.log('');
    summary.push(
      `  ${c.name.padEnd(30)} ${fmt(deployed.score)}   ${fmt(atTrained.score)}   ${fmt(nab[0].score)}`,
    );
  }
  console.log('summary (standard profile, normalised NAB score on the unseen categories)');
  console.log('                                 deployed  trained thr  NAB optimiser');
  for (const s of summary) console.log(s);
  console.log("\npublished detectors, NAB's scorer, realAWSCloudwatch + realAdExchange + realTweets:");
  for (const [name, v] of Object.entries(PUBLISHED_UNSEEN)) console.log(`  ${name.padEnd(30)} ${fmt(v)}`);
}

if (import.meta.main) await main();

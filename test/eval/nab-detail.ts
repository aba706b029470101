/**
 * Where a detector's held-out NAB score comes from: `node test/eval/nab-detail.ts` replays the
 * seven categories (test/data/nab + test/data/nab-unseen) through the processor for each detector
 * of NAB_DETECTORS (with NAB_SET overrides, as test/eval/nab.ts), chooses each category's
 * threshold on the other six (leave-one-category-out, standard profile, exactly as
 * `npm run eval:nab-all`), and prints the held-out score, TP / FP / FN per category and the
 * detections per file (in and outside windows). A diagnostic beside `eval:nab-all`, which stays the
 * figure that judges a detector.
 */
import path from 'node:path';
import { anomalyConfig } from '../../plugins/processors/anomaly/config.ts';
import { anomalyProcessor } from '../../plugins/processors/anomaly/index.ts';
import { parseConfig } from '../../core/plugin/testing.ts';
import { bestThreshold, evaluate, flagsAt, replay } from './nab.ts';
import { loadNab, nabDir } from './nab-data.ts';
import { layout, normalise, PROFILES, scoreFile } from './nab-score.ts';

const ALL = anomalyConfig.shape.detector.unwrap().options as readonly string[];
const DETECTORS = process.env.NAB_DETECTORS?.split(',') ?? [...ALL];
const OVERRIDES = JSON.parse(process.env.NAB_SET ?? '{}') as Record<string, unknown>;
const STD = PROFILES.standard;

const files = [nabDir(), path.join(nabDir(), '..', 'nab-unseen')].flatMap((d) => loadNab(d));
const lays = files.map(layout);
const categories = [...new Set(files.map((f) => f.category))];
if (Object.keys(OVERRIDES).length > 0) console.log(`overrides: ${JSON.stringify(OVERRIDES)}`);

for (const detector of DETECTORS) {
  const table = { detector, ...OVERRIDES };
  const cfg = parseConfig(anomalyProcessor, table);
  const scores: Float64Array[] = [];
  for (const f of files) scores.push((await replay(f, table)).scores);
  const flags = new Array<Uint8Array>(files.length);
  const thresholds = new Map<string, number>();
  for (const held of categories) {
    const b = bestThreshold(files, lays, scores, cfg.cooldown, STD, (f) => f.category !== held);
    thresholds.set(held, b.threshold);
    files.forEach((f, k) => {
      if (f.category === held) flags[k] = flagsAt(scores[k], b.threshold, cfg.cooldown);
    });
  }
  const all = evaluate(files, lays, flags, STD);
  console.log(`\n${detector}: held-out ${all.score.toFixed(1)}  TP ${all.tp}  FP ${all.fp}  FN ${all.fn}`);
  for (const c of categories) {
    const idx = files.map((f, k) => (f.category === c ? k : -1)).filter((k) => k >= 0);
    const r = evaluate(
      idx.map((k) => files[k]),
      idx.map((k) => lays[k]),
      idx.map((k) => flags[k]),
      STD,
    );
    const v = r.byCategory.get(c) ?? { raw: 0, windows: 0 };
    const shown = v.windows === 0 ? `raw ${v.raw.toFixed(2)}` : normalise(v.raw, v.windows, STD).toFixed(1);
    console.log(
      `  ${c.padEnd(22)} @ ${thresholds.get(c)?.toFixed(3)}  score ${shown.padStart(6)}  TP ${r.tp}  FP ${r.fp}  FN ${r.fn}`,
    );
    for (const k of idx) {
      const s = scoreFile(lays[k], flags[k], STD);
      console.log(`      ${files[k].key.split('/')[1].padEnd(44)} TP ${s.tp}  FP ${s.fp}  FN ${s.fn}`);
    }
  }
}

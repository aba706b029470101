/**
 * Scorer check: scores the published detectors' result files in test/data/nab/results with this
 * project's scorer (NAB's threshold sweep over every distinct score, no cooldown) and prints the
 * figures NAB's own scorer gives (results/README.md) beside them.
 *   node test/eval/nab-check.ts   (npm run eval:nab-check)
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadNab, nabDir } from './nab-data.ts';
import { layout, optimiseThreshold, PROFILES } from './nab-score.ts';

/** NAB's own scorer on these files (results/README.md): standard, reward_low_FP, reward_low_FN. */
export const PUBLISHED: Record<string, [number, number, number]> = {
  numenta: [67.21, 61.15, 72.15],
  randomCutForest: [57.7, 45.79, 65.82],
  windowedGaussian: [30.81, 25.17, 34.21],
};

/** Reads one result file's anomaly_score column (rows aligned with the data file). */
export function readScores(file: string): Float64Array {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '');
  const out = new Float64Array(lines.length);
  for (let i = 0; i < lines.length; i++) out[i] = Number(lines[i].slice(lines[i].lastIndexOf(',') + 1));
  return out;
}

async function main(): Promise<void> {
  const dir = nabDir();
  const files = loadNab(dir);
  const lays = files.map(layout);
  let worst = 0;
  console.log('detector            profile         ours     NAB    diff');
  for (const [det, nab] of Object.entries(PUBLISHED)) {
    const scores = files.map((f) => readScores(path.join(dir, 'results', det, f.key)));
    Object.values(PROFILES).forEach((p, k) => {
      const r = optimiseThreshold(lays, scores, p);
      const d = r.score - nab[k];
      worst = Math.max(worst, Math.abs(d));
      console.log(
        `${det.padEnd(19)} ${Object.keys(PROFILES)[k].padEnd(14)} ${r.score.toFixed(2).padStart(6)}  ${nab[k].toFixed(2).padStart(6)}  ${d.toFixed(2).padStart(6)}`,
      );
    });
  }
  console.log(`largest difference ${worst.toFixed(2)}`);
}

if (import.meta.main) await main();

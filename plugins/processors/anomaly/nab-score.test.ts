import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLISHED, readScores } from '../../../test/eval/nab-check.ts';
import { loadNab, nabDir } from '../../../test/eval/nab-data.ts';
import { layout, optimiseThreshold, PROFILES } from '../../../test/eval/nab-score.ts';

// The project's NAB scorer must give what NAB's own scorer gives for the published detectors'
// result files kept in test/data/nab/results (figures in test/data/nab/README.md).
describe('NAB scorer', () => {
  const dir = nabDir();
  const files = loadNab(dir);
  const lays = files.map(layout);
  for (const [detector, published] of Object.entries(PUBLISHED)) {
    it(`reproduces NAB's scores of ${detector}`, () => {
      const scores = files.map((f) => readScores(path.join(dir, 'results', detector, f.key)));
      const ours = Object.values(PROFILES).map((p) => optimiseThreshold(lays, scores, p).score);
      for (let k = 0; k < 3; k++) expect(Math.abs(ours[k] - published[k])).toBeLessThan(0.05);
    });
  }
  it('scores a detector that never fires 0 and one that flags each window start 100', () => {
    const none = files.map((f) => new Float64Array(f.values.length));
    expect(optimiseThreshold(lays, none, PROFILES.standard).score).toBeCloseTo(0, 6);
    const perfect = lays.map((l) => {
      const s = new Float64Array(l.window.length);
      for (let i = 0; i < s.length; i++)
        if (l.window[i] >= 0 && (i === 0 || l.window[i - 1] !== l.window[i])) s[i] = 1;
      return s;
    });
    expect(optimiseThreshold(lays, perfect, PROFILES.standard).score).toBeCloseTo(100, 6);
  });
});

// The unseen categories (test/data/nab-unseen) are only ever scored: they must not overlap the
// subset the processor was tuned on, and their labels must fit their files.
describe('NAB unseen data', () => {
  const unseen = loadNab(path.join(nabDir(), '..', 'nab-unseen'));
  const subset = loadNab(nabDir());

  it('shares no category and no file with the subset', () => {
    expect(unseen.length).toBeGreaterThan(0);
    const cats = new Set(subset.map((f) => f.category));
    const names = new Set(subset.map((f) => path.basename(f.key)));
    for (const f of unseen) {
      expect(cats.has(f.category)).toBe(false);
      expect(names.has(path.basename(f.key))).toBe(false);
    }
  });

  it('has its files in time order, each with labelled windows inside its time range', () => {
    for (const f of unseen) {
      for (let i = 1; i < f.times.length; i++) expect(f.times[i]).toBeGreaterThanOrEqual(f.times[i - 1]);
      expect(f.values.every(Number.isFinite)).toBe(true);
      expect(f.windows.length).toBeGreaterThan(0);
      for (const [a, b] of f.windows) {
        expect(a).toBeGreaterThanOrEqual(f.times[0]);
        expect(b).toBeLessThanOrEqual(f.times[f.times.length - 1]);
        expect(b).toBeGreaterThan(a);
      }
    }
  });
});

/**
 * Loads the NAB subset: every CSV under data/<category>/ with its labelled anomaly windows from
 * combined_windows.json. The directory is `test/data/nab` in the repository, or NAB_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One NAB data file. */
export interface NabFile {
  /** `<category>/<file>.csv`, the key in combined_windows.json. */
  key: string;
  category: string;
  /** Milliseconds since the epoch (timestamps are read as UTC). */
  times: number[];
  values: number[];
  /** Labelled anomaly windows [start, end] in milliseconds. */
  windows: [number, number][];
}

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** Where the NAB subset lives. */
export function nabDir(): string {
  return process.env.NAB_DIR ?? path.join(repoRoot, 'test', 'data', 'nab');
}

/** NAB timestamps ("2014-04-10 07:15:00.000000") as UTC milliseconds. */
export function parseNabTime(s: string): number {
  const ms = Date.parse(
    s
      .trim()
      .replace(' ', 'T')
      .replace(/(\.\d{3})\d*$/, '$1') + 'Z',
  );
  if (Number.isNaN(ms)) throw new Error(`bad NAB timestamp "${s}"`);
  return ms;
}

/** Every file of the subset, sorted by key. */
export function loadNab(dir = nabDir()): NabFile[] {
  const labels = JSON.parse(fs.readFileSync(path.join(dir, 'combined_windows.json'), 'utf8')) as Record<
    string,
    [string, string][]
  >;
  const files: NabFile[] = [];
  for (const category of fs.readdirSync(path.join(dir, 'data')).sort()) {
    for (const name of fs.readdirSync(path.join(dir, 'data', category)).sort()) {
      if (!name.endsWith('.csv')) continue;
      const key = `${category}/${name}`;
      const lines = fs.readFileSync(path.join(dir, 'data', category, name), 'utf8').split('\n');
      const times: number[] = [];
      const values: number[] = [];
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i].trim();
        if (line === '') continue;
        const comma = line.indexOf(',');
        times.push(parseNabTime(line.slice(0, comma)));
        values.push(Number(line.slice(comma + 1)));
      }
      const windows = (labels[key] ?? []).map(
        ([a, b]) => [parseNabTime(a), parseNabTime(b)] as [number, number],
      );
      files.push({ key, category, times, values, windows });
    }
  }
  return files;
}

/**
 * The rollup's open windows across a restart or a reload: at stop they are written to one JSON
 * file in the instance's state directory (temp file, fsync, rename: the old or the new snapshot,
 * whole) and read back when the next instance is created. Without this a window open at a reload
 * would start empty again, and its next emission would overwrite (in InfluxDB) the part emitted
 * at stop. A snapshot taken under another tier configuration is ignored, with a warning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../../core/lib/fs/atomic.ts';
import { FieldStats, type SavedFieldStats } from '../../../core/lib/stats/field-stats.ts';
import { FieldMap, type SeriesIndex } from '../../../core/model/metric/series-index.ts';
import type { Tags } from '../../../core/model/metric/metric.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import type { RollupConfig } from './config.ts';

const FILE = 'rollup-state.json';
const VERSION = 1;

/** A group of the rollup (see rollup.ts). */
export interface Group {
  name: string;
  key: Tags;
  tags: Tags;
  /** Open windows of this group (all tiers). */
  open: number;
}

/** One group's statistics in one window of one tier. */
export interface Acc {
  group: Group;
  fields: FieldMap<FieldStats>;
  /** Emitted tier only: changed since it was last emitted (or never emitted). */
  dirty: boolean;
  emitted: boolean;
}

/** The windows of one tier starting at one time, by group. */
export interface Window {
  start: number;
  end: number;
  accs: Map<Group, Acc>;
}

export interface Tier {
  length: number;
  windows: Map<number, Window>;
  /** Every window ending at or before this has been finalized (merged up or emitted for good). */
  finalizedThrough: number;
}

/** What is saved and restored. */
export interface RollupState {
  watermark: number;
  tiers: Tier[];
  groups: SeriesIndex<Group>;
}

interface Snapshot {
  version: number;
  config: string;
  watermark: number | null;
  finalized: (number | null)[];
  groups: [string, Tags, Tags][];
  /** Per tier: [start, [group index, emitted, dirty, [field, stats][]][]][] */
  tiers: [number, [number, boolean, boolean, [string, SavedFieldStats][]][]][][];
}

/** What shapes the state: a snapshot under another one does not mean the same. */
function fingerprint(cfg: RollupConfig): string {
  const { tiers, group_by, fields, quantiles, relative_accuracy } = cfg;
  return JSON.stringify({ tiers, group_by, fields, sketch: quantiles.length > 0, relative_accuracy });
}

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** Writes the state atomically. */
export function saveState(cfg: RollupConfig, ctx: PluginContext, st: RollupState): void {
  const index = new Map<Group, number>();
  const groups: Snapshot['groups'] = [];
  const snap: Snapshot = {
    version: VERSION,
    config: fingerprint(cfg),
    watermark: finite(st.watermark),
    finalized: st.tiers.map((t) => finite(t.finalizedThrough)),
    groups,
    tiers: st.tiers.map((t) =>
      [...t.windows.values()].map((w) => [
        w.start,
        [...w.accs.values()].map((a) => {
          let gi = index.get(a.group);
          if (gi === undefined) {
            gi = groups.push([a.group.name, a.group.key, a.group.tags]) - 1;
            index.set(a.group, gi);
          }
          return [gi, a.emitted, a.dirty, [...a.fields.entries()].map(([f, s]) => [f, s.save()])];
        }),
      ]),
    ),
  };
  const file = path.join(ctx.stateDir, FILE);
  writeFileAtomic(file, JSON.stringify(snap));
  ctx.log.debug({ file, groups: snap.groups.length }, 'rollup state saved');
}

/** Restores a saved state into `st` (empty), when there is one taken under this configuration. */
export function loadState(cfg: RollupConfig, ctx: PluginContext, st: RollupState): void {
  const file = path.join(ctx.stateDir, FILE);
  let snap: Snapshot;
  try {
    snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      ctx.log.warn({ file, err: (e as Error).message }, 'rollup state unreadable; starting empty');
    return;
  }
  if (snap.version !== VERSION || snap.config !== fingerprint(cfg) || snap.tiers.length !== st.tiers.length) {
    ctx.log.warn({ file }, 'rollup state was saved under other tiers; starting empty');
    return;
  }
  const by = cfg.group_by.includes('*') ? null : cfg.group_by;
  const sketch = cfg.quantiles.length > 0 ? cfg.relative_accuracy : null;
  const groups = snap.groups.map(([name, key, tags]) => {
    const g: Group = { name, key, tags, open: 0 };
    st.groups.set(name, key, by, g);
    return g;
  });
  st.watermark = snap.watermark ?? -Infinity;
  snap.tiers.forEach((windows, k) => {
    const tier = st.tiers[k];
    tier.finalizedThrough = snap.finalized[k] ?? -Infinity;
    for (const [start, accs] of windows) {
      const w: Window = { start, end: start + tier.length, accs: new Map() };
      for (const [gi, emitted, dirty, fields] of accs) {
        const g = groups[gi];
        const map = new FieldMap<FieldStats>();
        for (const [f, saved] of fields) map.set(f, FieldStats.load(saved, sketch));
        w.accs.set(g, { group: g, fields: map, emitted, dirty });
        g.open++;
      }
      tier.windows.set(start, w);
    }
  });
  ctx.log.info({ file, groups: groups.length }, 'rollup state loaded');
}

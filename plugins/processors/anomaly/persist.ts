/**
 * Persistence of the anomaly processor's state: one JSON snapshot in the instance's state
 * directory, written every `persist_interval` while the state changes and on stop (a temp file,
 * fsynced, then renamed over the old one, so a crash leaves the old or the new snapshot whole),
 * and read on create. A snapshot taken under a different detector
 * configuration is ignored (with a warning), since its state would not mean the same thing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicAsync } from '../../../core/lib/fs/atomic.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import type { AnomalyConfig } from './config.ts';
import type { DetectorState } from './detectors.ts';
import { Calibrator } from './score.ts';
import { FieldMap, SeriesIndex } from '../../../core/model/metric/series-index.ts';
import { makeDetector, type FieldState, type SeriesState } from './series.ts';

const FILE = 'anomaly-state.json';
const VERSION = 1;

interface Snapshot {
  version: number;
  config: string;
  /** [name, tags, last seen, [field, detector state, calibrator state or null, last flag][]] */
  series: [
    string,
    Record<string, string>,
    number,
    [string, DetectorState, number[] | null, number | null][],
  ][];
}

/** The configuration a snapshot must match: everything that shapes detector state. */
function fingerprint(cfg: AnomalyConfig): string {
  const {
    detector,
    ewma_alpha,
    clip,
    robust_window,
    season,
    season_window,
    hw_alpha,
    hw_beta,
    hw_gamma,
    hw_spread_alpha,
    calibrate,
  } = cfg;
  return JSON.stringify({
    detector,
    ewma_alpha,
    clip,
    robust_window,
    season,
    season_window,
    hw_alpha,
    hw_beta,
    hw_gamma,
    hw_spread_alpha,
    calibrate,
    // Only for contextual, tail and an ensemble with them, so the other detectors' snapshots stay valid.
    ...(detector === 'contextual' || (detector === 'ensemble' && cfg.ensemble_parts.includes('contextual'))
      ? { bins: cfg.context_bins, length: cfg.context_length, slots: cfg.context_slots }
      : {}),
    ...(detector === 'tail' || (detector === 'ensemble' && cfg.ensemble_parts.includes('tail'))
      ? { tailWindow: cfg.tail_window, tailLog: cfg.tail_log, tailLikelihood: cfg.tail_likelihood }
      : {}),
    ...(detector === 'shift' || (detector === 'ensemble' && cfg.ensemble_parts.includes('shift'))
      ? { shiftWindow: cfg.shift_window, shiftRecent: cfg.shift_recent, shiftMemory: cfg.shift_memory }
      : {}),
    ...(detector === 'ensemble' ? { parts: cfg.ensemble_parts, combine: cfg.ensemble_combine } : {}),
  });
}

/** Loads the saved series, or an empty map when there is none or it does not fit. */
export function loadState(cfg: AnomalyConfig, ctx: PluginContext): SeriesIndex<SeriesState> {
  const out = new SeriesIndex<SeriesState>();
  const file = path.join(ctx.stateDir, FILE);
  let snap: Snapshot;
  try {
    snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      ctx.log.warn({ file, err: (e as Error).message }, 'anomaly state unreadable; starting fresh');
    return out;
  }
  if (snap.version !== VERSION || snap.config !== fingerprint(cfg)) {
    ctx.log.warn({ file }, 'anomaly state was saved under another detector configuration; starting fresh');
    return out;
  }
  const now = ctx.clock.now();
  for (const [name, tags, seen, fields] of snap.series.slice(0, cfg.max_series)) {
    const map = new FieldMap<FieldState>();
    for (const [field, det, calib, lastFlag] of fields) {
      let c: Calibrator | null = null;
      if (calib !== null) {
        c = new Calibrator();
        c.load(calib);
      }
      map.set(field, { det: makeDetector(cfg, det), calib: c, lastFlag: lastFlag ?? -Infinity });
    }
    // A restart is not silence: the expiry clock starts again from now.
    out.set(name, tags, null, { name, tags, fields: map, seen: Math.max(seen, now) });
  }
  ctx.log.info({ file, series: out.size }, 'anomaly state loaded');
  return out;
}

/** Writes every series' state atomically (temp file, then rename). */
export async function saveState(
  cfg: AnomalyConfig,
  ctx: PluginContext,
  series: SeriesIndex<SeriesState>,
): Promise<void> {
  const snap: Snapshot = { version: VERSION, config: fingerprint(cfg), series: [] };
  for (const s of series.values()) {
    const fields: Snapshot['series'][number][3] = [];
    for (const [field, st] of s.fields.entries())
      fields.push([
        field,
        st.det.save(),
        st.calib?.save() ?? null,
        Number.isFinite(st.lastFlag) ? st.lastFlag : null,
      ]);
    snap.series.push([s.name, s.tags, s.seen, fields]);
  }
  const file = path.join(ctx.stateDir, FILE);
  await writeFileAtomicAsync(file, JSON.stringify(snap));
  ctx.log.debug({ file, series: series.size }, 'anomaly state saved');
}

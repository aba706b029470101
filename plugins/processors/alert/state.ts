/**
 * Alert state and its persistence: a JSON snapshot in the instance's state directory, written
 * after every state change (before the event it causes leaves the processor) and on stop, and read
 * on create, so a restart, even after a crash, neither re-sends a firing alert as new nor resolves
 * one twice nor forgets to resolve one (flapping records included). Each snapshot is written to a
 * temp file, fsynced and renamed over the old one: a crash leaves the old or the new one whole. A snapshot of another rule (name, value, by) is
 * ignored with a warning.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../../core/lib/fs/atomic.ts';
import type { Tags } from '../../../core/model/metric/metric.ts';
import type { PluginContext } from '../../../core/plugin/types.ts';
import type { AlertConfig } from './config.ts';
import type { FlapRecord } from './flapping.ts';

/** One alert (rule x key). Times are in the processor time (the `clock` key of the processor). */
export interface AlertState {
  key: string;
  /** The key's tags (the alert's identifying labels). */
  tags: Tags;
  state: 'inactive' | 'pending' | 'firing';
  /** Current level (with hysteresis) and the level last sent while firing. */
  level: number;
  fired: number;
  value: number;
  /** When it became pending. */
  since: number;
  startsAt: number;
  endsAt: number;
  /** Last evaluation. */
  seen: number;
  /** When the condition cleared while firing (keep_firing_for), or null. */
  clearSince: number | null;
  sentAt: number;
}

const FILE = 'alert-state.json';

function fingerprint(cfg: AlertConfig): string {
  return JSON.stringify({ alert: cfg.alert, value: cfg.value, by: cfg.by });
}

/** What a snapshot holds. */
export interface SavedState {
  alerts: Map<string, AlertState>;
  flaps: [string, FlapRecord][];
}

/** Loads saved alerts and flapping records, or none. */
export function loadState(cfg: AlertConfig, ctx: PluginContext): SavedState {
  const out = new Map<string, AlertState>();
  const fresh = { alerts: out, flaps: [] };
  const file = path.join(ctx.stateDir, FILE);
  let snap: { rule: string; alerts: AlertState[]; flaps?: [string, FlapRecord][] };
  try {
    snap = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof snap;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      ctx.log.warn({ file, err: (e as Error).message }, 'alert state unreadable; starting fresh');
    return fresh;
  }
  if (snap.rule !== fingerprint(cfg)) {
    ctx.log.warn({ file }, 'alert state belongs to another rule; starting fresh');
    return fresh;
  }
  for (const a of snap.alerts) out.set(a.key, { ...a, sentAt: a.sentAt ?? -Infinity });
  const flaps = snap.flaps ?? [];
  ctx.log.info({ file, alerts: out.size, flapping: flaps.length }, 'alert state loaded');
  return { alerts: out, flaps };
}

/** Saves every alert and flapping record durably (temp file, fsync, rename, fsync of the directory). */
export function saveState(
  cfg: AlertConfig,
  ctx: PluginContext,
  alerts: Map<string, AlertState>,
  flaps: Map<string, FlapRecord> | undefined,
): void {
  const dir = ctx.stateDir;
  const file = path.join(dir, FILE);
  const snap = { rule: fingerprint(cfg), alerts: [...alerts.values()], flaps: [...(flaps ?? [])] };
  writeFileAtomic(file, JSON.stringify(snap));
}

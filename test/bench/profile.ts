/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
 * and the share of time by source area (parser, pipeline, processors, HTTP, GC, idle).
 *
 *   node test/bench/profile.ts FILE.cpuprofile [top=30]
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  top: { fn: string; where: string; selfMs: number; pct: number }[];
  areas: { area: string; selfMs: number; pct: number }[];
}

/** Buckets a source location into an area of the agent. */
function area(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(program)') return 'program (native, outside JS)';
  const m = /\/(core\/[^/]+\/(?:[^/]+\/)?|plugins\/[^/]+\/[^/]+\/)/.exec(url);
  if (m !== null) return m[1].replace(/\/$/, '');
  if (url.includes('node_modules/@opentelemetry')) return 'node_modules/@opentelemetry';
  if (url.includes('node_modules/')) return 'node_modules (other)';
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal\/?/, 'node:') || 'node:';
  return fn.startsWith('(') ? fn : 'node (builtins)';
}

export function summarize(file: string, top = 30): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, Node>();
  for (const n of p.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  let totalMs = 0;
  const fns = new Map<string, { fn: string; where: string; selfMs: number }>();
  const areas = new Map<string, number>();
  for (const [id, ms] of self) {
    const n = byId.get(id) as Node;
    const { functionName, url, lineNumber } = n.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url === '' ? '' : `${url.replace(/^file:\/\/.*?\/main\//, '')}:${lineNumber + 1}`;
    const key = `${fn}@${where}`;
    const e = fns.get(key) ?? { fn, where, selfMs: 0 };
    e.selfMs += ms;
    fns.set(key, e);
    const a = area(url, fn);
    areas.set(a, (areas.get(a) ?? 0) + ms);
    totalMs += ms;
  }
  const pct = (ms: number): number => Number(((ms / totalMs) * 100).toFixed(1));
  return {
    totalMs,
    top: [...fns.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), pct: pct(e.selfMs) })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([a, ms]) => ({ area: a, selfMs: Math.round(ms), pct: pct(ms) })),
  };
}

/** The summary as a readable table. */
export function formatSummary(s: ProfileSummary): string {
  const lines = [`total ${Math.round(s.totalMs)} ms sampled`, '', 'self time by area:'];
  for (const a of s.areas) lines.push(`  ${String(a.pct).padStart(5)}%  ${a.area}`);
  lines.push('', 'top functions by self time:');
  for (const f of s.top) lines.push(`  ${String(f.pct).padStart(5)}%  ${f.fn}  ${f.where}`);
  return lines.join('\n');
}

if (import.meta.main) {
  const [file, n] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: node test/bench/profile.ts FILE.cpuprofile [top]');
  console.log(formatSummary(summarize(file, Number(n ?? 30))));
}

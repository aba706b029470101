/**
 * Parsing of /proc/[pid]/stat. The command name is in parentheses and may itself contain spaces
 * and parentheses, so fields are counted from the last `)`.
 */

/** The fields of /proc/[pid]/stat the host inputs use (times in clock ticks). */
export interface PidStat {
  pid: number;
  /** Command name (at most 15 characters), without the parentheses. */
  comm: string;
  /** State letter: R, S, D, Z, T, t, X, I, W, P. */
  state: string;
  ppid: number;
  utime: number;
  stime: number;
  nice: number;
  numThreads: number;
  /** Start time after boot, in clock ticks. */
  startTicks: number;
  /** Virtual memory size in bytes. */
  vsize: number;
  /** Resident set size in pages. */
  rssPages: number;
  rtPriority: number;
  /** Aggregated block I/O delay, in clock ticks (0 when not reported). */
  blkioTicks: number;
}

/** Parses the text of /proc/[pid]/stat, or returns undefined when malformed. */
export function parsePidStat(text: string): PidStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // rest[i] is field i + 3 of proc(5), counted from 1.
  const rest = text
    .slice(close + 2)
    .trimEnd()
    .split(' ');
  if (rest.length < 22) return undefined;
  const n = (field: number): number => Number(rest[field - 3] ?? 0);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid: n(4),
    utime: n(14),
    stime: n(15),
    nice: n(19),
    numThreads: n(20),
    startTicks: n(22),
    vsize: n(23),
    rssPages: n(24),
    rtPriority: n(40),
    blkioTicks: n(42),
  };
}

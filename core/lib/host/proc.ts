/**
 * Small readers of /proc-style files shared by the host inputs. A file that is absent or
 * unreadable (a process that exited between listing and reading, a file only root may read) is
 * normal on a live system, so readers return undefined for it instead of throwing.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Errors that mean "not there or not for us", not a failure. A sysfs attribute the driver
 * cannot answer (e.g. the speed of a loopback) fails its read with EINVAL, ENODEV or EOPNOTSUPP.
 */
const ABSENT = new Set([
  'ENOENT',
  'ENOTDIR',
  'ESRCH',
  'EACCES',
  'EPERM',
  'EINVAL',
  'ENODEV',
  'ENXIO',
  'EOPNOTSUPP',
]);

/** True for an error that means the file is absent or unreadable. */
export function isAbsent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && ABSENT.has((err as NodeJS.ErrnoException).code ?? '');
}

/** The text of a file, or undefined when it is absent or unreadable. */
export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/**
 * Parses `Key: value [kB]` lines (meminfo, status) and `key value` lines (vmstat) into numbers.
 * A `kB` unit is converted to bytes; lines whose value is not a number are skipped.
 */
export function parseKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    const cut = colon >= 0 ? colon : line.search(/\s/);
    if (cut <= 0) continue;
    const rest = line
      .slice(cut + 1)
      .trim()
      .split(/\s+/);
    const n = Number(rest[0]);
    if (rest[0] === '' || !Number.isFinite(n)) continue;
    out.set(line.slice(0, cut), rest[1] === 'kB' ? n * 1024 : n);
  }
  return out;
}

/** The numeric entries of a proc root: the pids of the processes alive right now. */
export function listPids(procRoot: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(procRoot);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
  const pids: number[] = [];
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c >= 48 && c <= 57 && /^\d+$/.test(n)) pids.push(Number(n));
  }
  return pids;
}

/** The boot time in seconds since the epoch (`btime` of /proc/stat), or undefined. */
export function readBootTime(procRoot: string): number | undefined {
  const text = readText(path.join(procRoot, 'stat'));
  const m = text === undefined ? null : /^btime\s+(\d+)/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

const AT_PAGESZ = 6;
const AT_CLKTCK = 17;
let auxv: Map<number, number> | undefined;

/** This process's auxiliary vector (the kernel's page size and clock tick live there). */
function readAuxv(): Map<number, number> {
  if (auxv !== undefined) return auxv;
  auxv = new Map();
  try {
    const buf = fs.readFileSync('/proc/self/auxv');
    const wide = process.arch.includes('64');
    const step = wide ? 16 : 8;
    for (let off = 0; off + step <= buf.length; off += step) {
      const key = wide ? Number(buf.readBigUInt64LE(off)) : buf.readUInt32LE(off);
      const val = wide ? Number(buf.readBigUInt64LE(off + 8)) : buf.readUInt32LE(off + 4);
      if (key === 0) break;
      auxv.set(key, val);
    }
  } catch {
    // Not Linux or no procfs: the defaults below apply.
  }
  return auxv;
}

/** The kernel page size in bytes (4096 when it cannot be read). */
export function pageSize(): number {
  return readAuxv().get(AT_PAGESZ) ?? 4096;
}

/** Clock ticks per second of /proc times (USER_HZ, 100 when it cannot be read). */
export function clockTicks(): number {
  return readAuxv().get(AT_CLKTCK) ?? 100;
}

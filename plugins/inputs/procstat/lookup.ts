/**
 * Finding the processes procstat reports on: by pid file, by a regular expression on the process
 * name or the command line (like pgrep), or by cgroup membership; with no selector, VIVA itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { listPids, readText } from '../../../core/lib/host/proc.ts';
import type { ProcstatConfig } from './config.ts';

/** The pids found, or why the lookup failed. */
export type LookupResult = { pids: number[]; error?: undefined } | { pids: []; error: string };

/** The command line of a process, arguments joined by spaces ('' for kernel threads). */
export function readCmdline(proc: string, pid: number): string | undefined {
  const raw = readText(path.join(proc, String(pid), 'cmdline'));
  return raw?.replace(/\0+$/, '').replace(/\0/g, ' ');
}

/** The name (comm) of a process. */
export function readComm(proc: string, pid: number): string | undefined {
  return readText(path.join(proc, String(pid), 'comm'))?.replace(/\n$/, '');
}

/** This process as the proc root sees it (its pid differs when the root is another pid namespace's). */
function bySelf(proc: string): LookupResult {
  try {
    const pid = Number(fs.readlinkSync(path.join(proc, 'self')));
    if (Number.isInteger(pid) && pid > 0) return { pids: [pid] };
  } catch {
    // No self link (a copied tree): fall back to our own pid.
  }
  return { pids: [process.pid] };
}

function byPidFile(file: string): LookupResult {
  const text = readText(file);
  if (text === undefined) return { pids: [], error: `cannot read pid file ${file}` };
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return { pids: [], error: `no pid in pid file ${file}` };
  return { pids: [pid] };
}

function byRegex(
  proc: string,
  re: RegExp,
  read: (proc: string, pid: number) => string | undefined,
): LookupResult {
  const pids: number[] = [];
  for (const pid of listPids(proc)) {
    const s = read(proc, pid);
    if (s !== undefined && re.test(s)) pids.push(pid);
  }
  return { pids };
}

function byCgroup(sys: string, cgroup: string): LookupResult {
  const base = path.isAbsolute(cgroup) ? cgroup : path.join(sys, 'fs', 'cgroup', cgroup);
  const dirs = /[*?[]/.test(base) ? fs.globSync(base) : [base];
  const pids = new Set<number>();
  let found = false;
  for (const dir of dirs) {
    const text = readText(path.join(dir, 'cgroup.procs'));
    if (text === undefined) continue;
    found = true;
    for (const line of text.split('\n')) if (line !== '') pids.add(Number(line));
  }
  return found ? { pids: [...pids] } : { pids: [], error: `cannot read cgroup.procs of ${base}` };
}

/** A lookup of the pids the config selects, compiled once (the regular expressions). */
export function pidLookup(cfg: ProcstatConfig, proc: string, sys: string): () => LookupResult {
  if (cfg.pid_file !== '') return () => byPidFile(cfg.pid_file);
  if (cfg.exe !== '') {
    const re = new RegExp(cfg.exe);
    return () => byRegex(proc, re, readComm);
  }
  if (cfg.pattern !== '') {
    const re = new RegExp(cfg.pattern);
    return () => byRegex(proc, re, readCmdline);
  }
  if (cfg.cgroup !== '') return () => byCgroup(sys, cfg.cgroup);
  return () => bySelf(proc);
}

/**
 * The registry's state file: every agent record as JSON, written atomically (a temporary file,
 * fsync, rename, fsync of the directory), so a crash leaves the previous or the new state, never
 * half of one.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AgentRecord } from './registry.ts';

const FORMAT = 1;

interface StateFile {
  format: number;
  savedAt: number;
  agents: AgentRecord[];
}

/** Writes the records to `file` atomically. */
export function saveState(file: string, agents: AgentRecord[], now: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const body: StateFile = { format: FORMAT, savedAt: now, agents };
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(body));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const dir = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is atomic.
  }
}

/** Reads the records of `file`: [] when it does not exist; throws when it cannot be read or parsed. */
export function loadState(file: string): AgentRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const body = JSON.parse(text) as Partial<StateFile>;
  if (body.format !== FORMAT || !Array.isArray(body.agents))
    throw new Error(`${file}: not a fleet state file of format ${FORMAT}`);
  return body.agents.filter(
    (a) => typeof a === 'object' && typeof a.id === 'string' && typeof a.lastSeen === 'number',
  );
}

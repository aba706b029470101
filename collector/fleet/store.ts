/**
 * The registry's state file: every agent record as JSON, written atomically (a temporary file,
 * fsync, rename, fsync of the directory), so a crash leaves the previous or the new state, never
 * half of one.
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../../core/lib/fs/atomic.ts';
import type { AgentRecord } from './registry.ts';

const FORMAT = 1;

interface StateFile {
  format: number;
  savedAt: number;
  agents: AgentRecord[];
}

/** Writes the records to `file` atomically. */
export function saveState(file: string, agents: AgentRecord[], now: number): void {
  const body: StateFile = { format: FORMAT, savedAt: now, agents };
  writeFileAtomic(file, JSON.stringify(body));
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

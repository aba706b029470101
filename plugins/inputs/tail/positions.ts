/**
 * Where each followed file was read up to, persisted in the plugin's state directory: per file
 * (device and inode) its path and the offset just past the last line whose batch was
 * acknowledged. Saves are coalesced (one write in flight, one pending) and atomic (temp file +
 * rename).
 */
import fs from 'node:fs';
import path from 'node:path';

/** One file's persisted position. */
export interface Position {
  path: string;
  dev: number;
  ino: number;
  offset: number;
}

const FILE = 'tail-positions.json';
const idOf = (dev: number, ino: number): string => `${dev}:${ino}`;

export class PositionStore {
  private readonly file: string;
  private readonly onError: (e: unknown) => void;
  private readonly positions = new Map<string, Position>();
  private saving: Promise<void> | null = null;
  private dirty = false;

  constructor(stateDir: string, onError: (e: unknown) => void) {
    this.file = path.join(stateDir, FILE);
    this.onError = onError;
  }

  /** Reads the saved positions (none when the file is missing or unreadable). */
  load(): void {
    let list: unknown;
    try {
      list = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch {
      return;
    }
    for (const p of Array.isArray(list) ? (list as Position[]) : []) {
      if (typeof p.path === 'string' && Number.isSafeInteger(p.offset))
        this.positions.set(idOf(p.dev, p.ino), p);
    }
  }

  /** The saved position of a file: matched by identity, else (a file replaced meanwhile) by path. */
  lookup(filePath: string, dev: number, ino: number): { position: Position; sameFile: boolean } | undefined {
    const same = this.positions.get(idOf(dev, ino));
    if (same !== undefined) return { position: same, sameFile: true };
    for (const p of this.positions.values()) if (p.path === filePath) return { position: p, sameFile: false };
    return undefined;
  }

  /** Records a position and schedules a save. */
  set(p: Position): void {
    this.positions.set(idOf(p.dev, p.ino), { ...p });
    this.save();
  }

  /** Forgets a file that is gone. */
  delete(dev: number, ino: number): void {
    if (this.positions.delete(idOf(dev, ino))) this.save();
  }

  private save(): void {
    this.dirty = true;
    if (this.saving !== null) return;
    this.saving = this.writeLoop()
      .catch(this.onError)
      .finally(() => {
        this.saving = null;
      });
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const text = JSON.stringify([...this.positions.values()]);
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      await fs.promises.writeFile(tmp, text);
      await fs.promises.rename(tmp, this.file);
    }
  }

  /** Resolves once every scheduled save is on disk. */
  async flush(): Promise<void> {
    while (this.saving !== null) await this.saving;
  }
}

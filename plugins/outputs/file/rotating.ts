/**
 * A file that rotates by size and age: the current file is renamed to `<path>.<UTC stamp>` and a
 * new one opened; only the newest `maxArchives` rotated files are kept.
 *
 * A write is all or nothing: when it fails part way (ENOSPC after a partial write), the bytes it
 * did write are truncated away, so the file ends at the last whole batch and a retry of the batch
 * neither duplicates lines nor glues a torn line to the next one.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface RotationPolicy {
  maxSize: number;
  intervalMs: number;
  maxArchives: number;
  fsync: boolean;
}

/** The fs calls a rotating file makes (a seam for tests that fail writes). */
export type FileIO = Pick<
  typeof fs,
  | 'mkdirSync'
  | 'openSync'
  | 'fstatSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'ftruncateSync'
  | 'closeSync'
  | 'existsSync'
  | 'renameSync'
  | 'readdirSync'
  | 'rmSync'
>;

/** Where a file stood before a write, to undo that write. */
export interface WriteMark {
  file: RotatingFile;
  fd: number;
  size: number;
}

export class RotatingFile {
  readonly path: string;
  private readonly io: FileIO;
  private fd: number | undefined;
  private size = 0;
  private openedAt = 0;
  private readonly policy: RotationPolicy;

  constructor(file: string, policy: RotationPolicy, io: FileIO = fs) {
    this.path = file;
    this.policy = policy;
    this.io = io;
  }

  private open(): number {
    this.io.mkdirSync(path.dirname(this.path), { recursive: true });
    const fd = this.io.openSync(this.path, 'a');
    this.fd = fd;
    this.size = this.io.fstatSync(fd).size;
    this.openedAt = Date.now();
    return fd;
  }

  private due(incoming: number): boolean {
    const p = this.policy;
    if (this.size === 0) return false;
    if (p.maxSize > 0 && this.size + incoming > p.maxSize) return true;
    return p.intervalMs > 0 && Date.now() - this.openedAt >= p.intervalMs;
  }

  /**
   * Appends data whole, rotating first when the policy says so; returns the mark to undo it. On a
   * failure the part written is truncated away before the error is thrown.
   */
  write(data: Buffer): WriteMark {
    let fd = this.fd ?? this.open();
    if (this.due(data.length)) {
      this.rotate();
      fd = this.open();
    }
    const mark = { file: this, fd, size: this.size };
    let off = 0;
    try {
      while (off < data.length) off += this.io.writeSync(fd, data, off);
      if (this.policy.fsync) this.io.fsyncSync(fd);
    } catch (e) {
      if (off > 0) this.undo(mark);
      throw e;
    }
    this.size += data.length;
    return mark;
  }

  /**
   * Cuts the file back to where a mark was taken. When even that fails, the file is closed so the
   * next write reopens it and re-reads its size (the torn bytes then stay: the error says so).
   */
  undo(mark: WriteMark): void {
    if (mark.fd !== this.fd) return; // rotated or closed since: the mark's file is no longer ours
    try {
      this.io.ftruncateSync(mark.fd, mark.size);
      this.size = mark.size;
    } catch (e) {
      this.close();
      throw new Error(
        `${this.path}: could not truncate a failed write back to ${mark.size} bytes: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  private rotate(): void {
    if (this.fd !== undefined) this.io.closeSync(this.fd);
    this.fd = undefined;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('Z', '');
    let target = `${this.path}.${stamp}`;
    for (let n = 1; this.io.existsSync(target); n++) target = `${this.path}.${stamp}-${n}`;
    this.io.renameSync(this.path, target);
    this.prune();
  }

  /** Rotated siblings, oldest first. */
  archives(): string[] {
    const dir = path.dirname(this.path);
    const base = path.basename(this.path) + '.';
    return this.io
      .readdirSync(dir)
      .filter((f) => f.startsWith(base) && /^\d{8}T\d{6}/.test(f.slice(base.length)))
      .sort()
      .map((f) => path.join(dir, f));
  }

  private prune(): void {
    if (this.policy.maxArchives < 0) return;
    const all = this.archives();
    for (const f of all.slice(0, Math.max(0, all.length - this.policy.maxArchives)))
      this.io.rmSync(f, { force: true });
  }

  close(): void {
    if (this.fd !== undefined) this.io.closeSync(this.fd);
    this.fd = undefined;
  }
}

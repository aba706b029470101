/**
 * A file that rotates by size and age: the current file is renamed to `<path>.<UTC stamp>` and a
 * new one opened; only the newest `maxArchives` rotated files are kept.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface RotationPolicy {
  maxSize: number;
  intervalMs: number;
  maxArchives: number;
  fsync: boolean;
}

export class RotatingFile {
  readonly path: string;
  private fd: number | undefined;
  private size = 0;
  private openedAt = 0;
  private readonly policy: RotationPolicy;

  constructor(file: string, policy: RotationPolicy) {
    this.path = file;
    this.policy = policy;
  }

  private open(): number {
    fs.mkdirSync(path.dirname(this.path), { recursive: true });
    const fd = fs.openSync(this.path, 'a');
    this.fd = fd;
    this.size = fs.fstatSync(fd).size;
    this.openedAt = Date.now();
    return fd;
  }

  private due(incoming: number): boolean {
    const p = this.policy;
    if (this.size === 0) return false;
    if (p.maxSize > 0 && this.size + incoming > p.maxSize) return true;
    return p.intervalMs > 0 && Date.now() - this.openedAt >= p.intervalMs;
  }

  /** Appends data, rotating first when the policy says so. */
  write(data: Buffer): void {
    let fd = this.fd ?? this.open();
    if (this.due(data.length)) {
      this.rotate();
      fd = this.open();
    }
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off);
    if (this.policy.fsync) fs.fsyncSync(fd);
    this.size += data.length;
  }

  private rotate(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('Z', '');
    let target = `${this.path}.${stamp}`;
    for (let n = 1; fs.existsSync(target); n++) target = `${this.path}.${stamp}-${n}`;
    fs.renameSync(this.path, target);
    this.prune();
  }

  /** Rotated siblings, oldest first. */
  archives(): string[] {
    const dir = path.dirname(this.path);
    const base = path.basename(this.path) + '.';
    return fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(base) && /^\d{8}T\d{6}/.test(f.slice(base.length)))
      .sort()
      .map((f) => path.join(dir, f));
  }

  private prune(): void {
    if (this.policy.maxArchives < 0) return;
    const all = this.archives();
    for (const f of all.slice(0, Math.max(0, all.length - this.policy.maxArchives)))
      fs.rmSync(f, { force: true });
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Replacing a file atomically: the new content is written under a temp name in the same
 * directory, fsynced, renamed over the final name, and the directory fsynced. A crash (kill -9 or
 * power cut) leaves the old file or the new one, never a torn one; what it may leave behind is a
 * temp file, which `isTempName` recognises so a start can remove it. The one helper for state
 * files (fleet registry, alert, anomaly and rollup state, SQL marks, central configs) and the
 * archive's files and manifest.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Temp files are named `.<final name>.tmp-<pid>`: hidden, and never mistaken for the file. */
export function tempNameOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
}

/** True for a temp file left by an interrupted atomic write. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && /\.tmp-\d+$/.test(name);
}

/** fsyncs a directory so a rename or an unlink in it survives a power cut. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // a directory that cannot be opened for reading cannot be fsynced either
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` to `file` atomically (creating its directory when missing). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempNameOf(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** `writeFileAtomic` without blocking the event loop. */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempNameOf(file);
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  fsyncDir(path.dirname(file));
}

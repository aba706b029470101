/**
 * The file output: writes each batch to every configured file (or stdout) in the chosen format,
 * with rotation by size and age.
 *
 * A batch lands in every file or in none: when one file (or stdout) fails, the batch is truncated
 * out of the files already written, so the pipeline's retry of that batch writes each line once.
 */
import type { Serializer } from '../../../core/format/types.ts';
import type { Metric } from '../../../core/model/metric/metric.ts';
import type { OutputInstance } from '../../../core/plugin/types.ts';
import { writeStream } from '../stdout/stdout.ts';
import type { FileConfig } from './config.ts';
import { type FileIO, RotatingFile, type WriteMark } from './rotating.ts';

export class FileOutput implements OutputInstance {
  private readonly serializer: Serializer;
  private readonly files: RotatingFile[] = [];
  private readonly toStdout: boolean;

  constructor(cfg: FileConfig, serializer: Serializer, io?: FileIO) {
    this.serializer = serializer;
    this.toStdout = cfg.files.includes('stdout');
    const policy = {
      maxSize: cfg.rotation_max_size,
      intervalMs: cfg.rotation_interval,
      maxArchives: cfg.rotation_max_archives,
      fsync: cfg.fsync,
    };
    for (const f of cfg.files) if (f !== 'stdout') this.files.push(new RotatingFile(f, policy, io));
  }

  async write(metrics: Metric[]): Promise<void> {
    const data = this.serializer.serialize(metrics);
    const marks: WriteMark[] = [];
    try {
      for (const f of this.files) marks.push(f.write(data));
      if (this.toStdout) await writeStream(process.stdout, data);
    } catch (e) {
      let undoFailed: unknown;
      for (const m of marks.reverse()) {
        try {
          m.file.undo(m);
        } catch (u) {
          undoFailed ??= u;
        }
      }
      throw undoFailed ?? e;
    }
  }

  async close(): Promise<void> {
    for (const f of this.files) f.close();
  }
}

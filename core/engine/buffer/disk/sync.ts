/**
 * fsync scheduling with group commit: every append waiting for durability is satisfied by the
 * next fsync that starts after it, so concurrent appends share one fsync. fsync runs on the
 * libuv thread pool and never blocks the event loop; segments rolled over in the meantime are
 * fsynced once more and closed by the next round.
 */
import { close, closeSync, fsync, fsyncSync } from 'node:fs';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Syncer {
  private fd: number;
  private retired: number[] = [];
  private waiters: Waiter[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  /** Bytes were written since the last fsync round started. */
  dirty = false;

  constructor(fd: number) {
    this.fd = fd;
  }

  /** The file appends go to. */
  get currentFd(): number {
    return this.fd;
  }

  /** Swaps the current file without syncing the previous one (the caller closed it). */
  replace(fd: number): void {
    this.fd = fd;
  }

  /** The segment written from now on; the previous one is fsynced and closed by the next round. */
  rotate(fd: number): void {
    this.retired.push(this.fd);
    this.fd = fd;
  }

  /** Resolves once everything written before the call is on stable storage. */
  durable(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.running) this.round();
    });
  }

  /** Starts an fsync round unless one is running or nothing was written. */
  kick(): void {
    if (!this.running && (this.dirty || this.retired.length > 0)) this.round();
  }

  /** Waits for the running round (and those it chains) to finish. */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Final synchronous fsync and close of every file this syncer holds (call after idle()). */
  closeSync(): void {
    for (const fd of [...this.retired, this.fd]) {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    this.retired = [];
  }

  private round(): void {
    this.running = true;
    this.dirty = false;
    const waiters = this.waiters;
    const retired = this.retired;
    this.waiters = [];
    this.retired = [];
    const fds = [...retired, this.fd];
    let left = fds.length;
    let failure: Error | null = null;
    const done = (err: Error | null): void => {
      if (err !== null) failure ??= err;
      if (--left > 0) return;
      for (const fd of retired) close(fd, () => undefined);
      for (const w of waiters) {
        if (failure === null) w.resolve();
        else w.reject(failure);
      }
      this.running = false;
      if (this.waiters.length > 0) this.round();
      else for (const resolve of this.idleWaiters.splice(0)) resolve();
    };
    for (const fd of fds) fsync(fd, done);
  }
}

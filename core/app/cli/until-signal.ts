/**
 * Runs a started service until SIGTERM or SIGINT, then stops it once (a second signal is
 * ignored) and resolves with exit code 0: the shutdown sequence of `viva agent` and
 * `viva collector`.
 */
import type { Logger } from 'pino';
import { Exit } from './args.ts';

export function untilSignal(log: Logger, steps: (() => Promise<unknown> | undefined)[]): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      void (async () => {
        for (const step of steps) {
          try {
            await step();
          } catch (e) {
            log.error({ err: e instanceof Error ? e.message : String(e) }, 'shutdown failed');
          }
        }
      })().finally(() => resolve(Exit.OK));
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

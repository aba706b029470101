/**
 * Failover over several server URLs, as the influxdb, influxdb_v2 and alertmanager outputs do it: a
 * write goes to the URL that answered last and moves on to the next ones in order while the failure
 * is retryable; the core retries the batch when none takes it. Shared in core so the outputs keep
 * one behaviour and no plugin imports another.
 */
import type { Logger } from 'pino';
import { WriteError } from '../../model/errors/errors.ts';
import { redactUrl } from '../../model/redact.ts';

/** Sends to the URL that answered last first, then to the others in order. */
export class Failover {
  private readonly urls: readonly string[];
  private readonly log: Logger;
  private readonly system: string;
  private readonly action: string;
  /** Index in urls of the server that answered last. */
  private current = 0;

  /** `system` and `action` name the log line and errors: "influxdb", "write". */
  constructor(urls: readonly string[], log: Logger, system: string, action: string) {
    this.urls = urls;
    this.log = log;
    this.system = system;
    this.action = action;
  }

  /**
   * Tries attempt on each URL until one answers for good; attempt resolves undefined when the
   * server took the batch. Throws the permanent or partial error, or the last retryable one.
   */
  async send(attempt: (url: string) => Promise<WriteError | undefined>): Promise<void> {
    const n = this.urls.length;
    let last: WriteError | undefined;
    for (let k = 0; k < n; k++) {
      const index = (this.current + k) % n;
      const err = await attempt(this.urls[index]);
      if (err === undefined || err.kind !== 'retryable') {
        this.current = index;
        if (err !== undefined) throw err;
        return;
      }
      last = err;
      if (n > 1)
        this.log.warn(
          { url: redactUrl(this.urls[index]), err: redactUrl(err.message) },
          `${this.system} ${this.action} failed; trying the next url`,
        );
    }
    throw last ?? WriteError.retryable(`no ${this.system} url`);
  }
}

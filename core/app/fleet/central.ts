/**
 * Central configuration on the agent: polls `<collector>/v1/config/<name>` with If-None-Match,
 * checks a new config (merged after the local one, merge.ts) before it touches anything, keeps it
 * under `<data_dir>/fleet/` (so a restart runs it even while the collector is down), and applies
 * it with the live reload. A config that fails validation or its reload is rejected: the agent
 * keeps running what it ran, remembers the rejected version (not fetched again until it changes)
 * and reports the reason in its heartbeats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../lib/fs/atomic.ts';
import type { Logger } from 'pino';
import type { FleetAgentSettings } from '../../config/fleet.ts';
import type { ValidConfig } from '../../config/validate.ts';
import { LogThrottle } from '../../engine/telemetry/log-throttle.ts';
import { ErrorCode } from '../../model/errors/codes.ts';
import type { Registry } from '../../plugin/registry.ts';
import { loadConfig } from '../../config/load.ts';
import type { ReloadResult } from '../reloader.ts';
import { centralNameOf, loadWithCentral } from './merge.ts';

/** What a poll did. */
export type PollResult = 'unchanged' | 'applied' | 'rejected' | 'error';

interface Meta {
  name: string;
  etag: string;
}

export interface CentralConfigOptions {
  /** The local config file or directory (-c). */
  localPath: string;
  dataDir: string;
  registry: Registry;
  log: Logger;
}

export class CentralConfig {
  private readonly o: CentralConfigOptions;
  private readonly dir: string;
  private readonly throttle: LogThrottle;
  /** The version (ETag) of the central config running, if any. */
  version: string | undefined;
  /** The last central config refused, and why (reported in heartbeats until one is applied). */
  rejected: { etag: string; reason: string } | undefined;

  constructor(o: CentralConfigOptions) {
    this.o = o;
    this.dir = path.join(o.dataDir, 'fleet');
    this.throttle = new LogThrottle(o.log);
  }

  private get file(): string {
    return path.join(this.dir, 'central.toml');
  }

  private readMeta(): Meta | undefined {
    try {
      const m = JSON.parse(fs.readFileSync(path.join(this.dir, 'central.json'), 'utf8')) as Meta;
      return typeof m.name === 'string' && typeof m.etag === 'string' ? m : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The config to run: the local one, with the stored central config after it when the local
   * [agent.fleet] config names the one stored. The Reloader's `load`.
   */
  async load(): Promise<ValidConfig> {
    const meta = this.readMeta();
    const wanted = centralNameOf(loadConfig(this.o.localPath));
    const use = meta !== undefined && wanted !== '' && meta.name === wanted && fs.existsSync(this.file);
    const cfg = await loadWithCentral(this.o.localPath, use ? this.file : undefined, this.o.registry);
    this.version = use ? meta.etag : undefined;
    return cfg;
  }

  /** Text of a rejection without the agent's file paths. */
  private reason(e: unknown, name: string, candidate: string): string {
    const msg = e instanceof Error ? e.message : String(e);
    return msg
      .split(candidate)
      .join(`central config "${name}"`)
      .split(this.file)
      .join(`central config "${name}"`);
  }

  /**
   * One poll: fetch, and when the collector has a new version, check and apply it through
   * `apply` (the reloader). Never throws; failures are logged (throttled) and returned.
   */
  async poll(s: FleetAgentSettings, apply: () => Promise<ReloadResult>): Promise<PollResult> {
    const name = s.config;
    const meta = this.readMeta();
    const known = [meta?.name === name ? meta.etag : undefined, this.rejected?.etag].filter(
      (t): t is string => t !== undefined,
    );
    let res: Response;
    try {
      res = await fetch(`${s.collector.replace(/\/+$/, '')}/v1/config/${encodeURIComponent(name)}`, {
        headers: {
          ...(s.token !== undefined ? { authorization: `Bearer ${s.token}` } : {}),
          ...(known.length > 0 ? { 'if-none-match': known.join(', ') } : {}),
        },
        signal: AbortSignal.timeout(s.timeout),
      });
    } catch (e) {
      this.fail('fetch', `central config request failed: ${e instanceof Error ? e.message : String(e)}`);
      return 'error';
    }
    if (res.status === 304) {
      await res.body?.cancel();
      return 'unchanged';
    }
    const body = await res.text();
    if (res.status !== 200) {
      this.fail(`status ${res.status}`, `collector answered ${res.status} for central config "${name}"`);
      return 'error';
    }
    const etag = res.headers.get('etag') ?? '';
    if (etag !== '' && (etag === this.rejected?.etag || (etag === meta?.etag && meta.name === name)))
      return 'unchanged';
    return this.adopt(name, etag, body, apply);
  }

  private fail(key: string, msg: string): void {
    this.throttle.warn(key, { code: ErrorCode.FLEET }, msg);
  }

  private async adopt(
    name: string,
    etag: string,
    body: string,
    apply: () => Promise<ReloadResult>,
  ): Promise<PollResult> {
    fs.mkdirSync(this.dir, { recursive: true });
    const candidate = path.join(this.dir, 'central.candidate.toml');
    fs.writeFileSync(candidate, body);
    try {
      await loadWithCentral(this.o.localPath, candidate, this.o.registry);
    } catch (e) {
      fs.rmSync(candidate, { force: true });
      return this.reject(name, etag, this.reason(e, name, candidate));
    }
    const prev = path.join(this.dir, 'central.prev.toml');
    const prevMeta = this.readMeta();
    const hadPrev = fs.existsSync(this.file);
    if (hadPrev) fs.renameSync(this.file, prev);
    fs.renameSync(candidate, this.file);
    writeAtomic(path.join(this.dir, 'central.json'), JSON.stringify({ name, etag }));
    const r = await apply();
    if (r.result === 'success') {
      fs.rmSync(prev, { force: true });
      this.version = etag;
      this.rejected = undefined;
      this.o.log.info({ config: name, version: etag }, 'central config applied');
      return 'applied';
    }
    // Put back what ran before, so a restart does not pick up the refused config.
    if (hadPrev) fs.renameSync(prev, this.file);
    else fs.rmSync(this.file, { force: true });
    if (prevMeta !== undefined) writeAtomic(path.join(this.dir, 'central.json'), JSON.stringify(prevMeta));
    else fs.rmSync(path.join(this.dir, 'central.json'), { force: true });
    return this.reject(name, etag, this.reason(r.error, name, candidate));
  }

  private reject(name: string, etag: string, reason: string): PollResult {
    this.rejected = { etag, reason };
    this.o.log.error(
      { code: ErrorCode.FLEET, config: name, version: etag, errors: reason.split('\n') },
      'central config rejected; the agent keeps running its current config',
    );
    return 'rejected';
  }
}

function writeAtomic(file: string, text: string): void {
  writeFileAtomic(file, text);
}

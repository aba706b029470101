/**
 * The system input: load averages (/proc/loadavg), CPU count, uptime (/proc/uptime) and logged-in
 * users (utmp; 0 when the host keeps no utmp).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAbsent } from '../../../core/lib/host/proc.ts';
import { hostRoot } from '../../../core/lib/host/root.ts';
import { Metric } from '../../../core/model/metric/metric.ts';
import type { Accumulator, InputInstance, PluginContext } from '../../../core/plugin/types.ts';
import type { SystemConfig } from './config.ts';
import { utmpUsers } from './utmp.ts';

/** Uptime as `uptime(1)` shows it: "3 days, 4:05" or " 4:05". */
export function formatUptime(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor(seconds / 3600) % 24;
  const minutes = Math.floor(seconds / 60) % 60;
  const clock = `${String(hours).padStart(2, ' ')}:${String(minutes).padStart(2, '0')}`;
  return days === 0 ? clock : `${days} day${days > 1 ? 's' : ''}, ${clock}`;
}

export class System implements InputInstance {
  private readonly proc: string;
  private readonly utmp: string;
  private readonly ctx: PluginContext;

  constructor(cfg: SystemConfig, ctx: PluginContext) {
    this.proc = hostRoot('proc', cfg.host_proc);
    this.utmp = path.join(hostRoot('var', cfg.host_var), 'run', 'utmp');
    this.ctx = ctx;
  }

  private read(file: string): string {
    return fs.readFileSync(path.join(this.proc, file), 'utf8');
  }

  private users(): string[] {
    try {
      return utmpUsers(fs.readFileSync(this.utmp));
    } catch (err) {
      if (isAbsent(err)) return [];
      throw err;
    }
  }

  gather(acc: Accumulator): void {
    const [load1, load5, load15] = this.read('loadavg').split(' ').map(Number);
    const uptime = Math.floor(Number(this.read('uptime').split(' ')[0]));
    const nCpus = this.read('stat').match(/^cpu\d+ /gm)?.length ?? 0;
    const users = this.users();
    const m = new Metric('system', {}, { load1, load5, load15 }, this.ctx.clock.now());
    m.setInt('n_cpus', nCpus);
    m.setInt('n_users', users.length);
    m.setInt('n_unique_users', new Set(users).size);
    m.setInt('uptime', uptime);
    m.fields.uptime_format = formatUptime(uptime);
    acc.push([m]);
  }
}

/**
 * Where the host's proc, sys and var trees are. Inside a container the host's /proc is usually
 * mounted elsewhere (e.g. /hostfs/proc); like Telegraf, the HOST_PROC, HOST_SYS, HOST_VAR and
 * HOST_MOUNT_PREFIX environment variables say where, and a plugin's own option wins over them.
 */
import { z } from 'zod';

/** A host tree a plugin reads. */
export type HostTree = 'proc' | 'sys' | 'var' | 'mount_prefix';

const TREES: Record<HostTree, { env: string; fallback: string }> = {
  proc: { env: 'HOST_PROC', fallback: '/proc' },
  sys: { env: 'HOST_SYS', fallback: '/sys' },
  var: { env: 'HOST_VAR', fallback: '/var' },
  mount_prefix: { env: 'HOST_MOUNT_PREFIX', fallback: '' },
};

/** The root of a host tree: the plugin option when set, else the environment variable, else the default. */
export function hostRoot(tree: HostTree, option: string, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== '') return option;
  const { env: name, fallback } = TREES[tree];
  const v = env[name];
  return v !== undefined && v !== '' ? v : fallback;
}

/** The `host_proc` option shared by the host inputs. */
export const hostProcOption = z
  .string()
  .default('')
  .describe('Root of the proc filesystem to read; empty = $HOST_PROC or /proc.');

/** The `host_sys` option shared by the host inputs. */
export const hostSysOption = z
  .string()
  .default('')
  .describe('Root of the sys filesystem to read; empty = $HOST_SYS or /sys.');

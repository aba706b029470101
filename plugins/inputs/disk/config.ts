import { z } from 'zod';
import { hostProcOption } from '../../../core/lib/host/root.ts';

/** Pseudo, virtual and read-only image filesystems that hold no user data. */
const PSEUDO_FS = [
  'tmpfs',
  'devtmpfs',
  'devfs',
  'iso9660',
  'overlay',
  'aufs',
  'squashfs',
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'devpts',
  'mqueue',
  'debugfs',
  'tracefs',
  'securityfs',
  'pstore',
  'bpf',
  'autofs',
  'binfmt_misc',
  'configfs',
  'fusectl',
  'hugetlbfs',
  'rpc_pipefs',
  'nsfs',
  'ramfs',
  'efivarfs',
  'selinuxfs',
  'nfsd',
  'fuse.lxcfs',
];

/** Config of the disk input. */
export const diskConfig = z.strictObject({
  mount_points: z
    .array(z.string())
    .default([])
    .describe('Report only these mount points, e.g. ["/", "/var"] (empty = every mount not ignored).'),
  ignore_fs: z
    .array(z.string())
    .default(PSEUDO_FS)
    .describe('Filesystem types to skip (pseudo and virtual filesystems by default).'),
  ignore_mount_opts: z
    .array(z.string())
    .default([])
    .describe('Skip mounts having any of these mount options, e.g. ["bind"].'),
  host_proc: hostProcOption,
  host_mount_prefix: z
    .string()
    .default('')
    .describe(
      'Where the host filesystems are mounted when running in a container, e.g. "/hostfs"; stripped from ' +
        'the path tag. Empty = $HOST_MOUNT_PREFIX or none.',
    ),
});

export type DiskConfig = z.output<typeof diskConfig>;

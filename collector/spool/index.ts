export { Spool } from './spool.ts';
export type { SpoolFsync, SpoolOptions, TrimResult } from './spool.ts';
export { SpoolReader } from './reader.ts';
export type { SpoolRecord } from './reader.ts';

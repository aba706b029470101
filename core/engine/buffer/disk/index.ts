export { DiskBuffer } from './buffer.ts';
export type { DiskBufferOptions } from './buffer.ts';
export { openDiskBuffer } from './open.ts';
export type { OpenDiskBufferOptions } from './open.ts';
export { DiskQueue } from './queue.ts';
export type { DiskQueueOptions, FsyncPolicy } from './queue.ts';
export type { QueueRecord } from './records.ts';
export type { RecoveryInfo } from './scan.ts';

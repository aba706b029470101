export { Metric, seriesKey } from './metric.ts';
export type { FieldValue, IntType, Tags, Fields, FieldTypes } from './metric.ts';
export { formatTime, formatTimeNs, timeAsNumberNs, compareTime, setTimeFromMs } from './time.ts';
export type { Precision } from './time.ts';

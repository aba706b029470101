export { ErrorCode } from './codes.ts';
export type { ErrorCodeValue } from './codes.ts';
export { VivaError, ConfigError, WriteError, formatConfigIssue, parseRetryAfter } from './errors.ts';
export type { ConfigIssue, RejectedMetric } from './errors.ts';

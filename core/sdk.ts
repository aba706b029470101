/**
 * The public SDK for plugin authors: `import { defineInput, z } from 'viva/sdk'`. Everything a
 * plugin needs (definitions, the metric model, write errors, config schemas, formats, test
 * helpers) and nothing of the core's internals. External plugins loaded by the agent always get
 * this very module (one Metric class, one WriteError class, one zod), wherever they are installed.
 */
export { z } from 'zod';

export { defineInput, defineOutput, defineProcessor } from './plugin/define.ts';
export type {
  Accumulator,
  AckCallback,
  AnyDefinition,
  Clock,
  Emit,
  InputDefinition,
  InputInstance,
  OutputDefinition,
  OutputInstance,
  PluginContext,
  PluginId,
  PluginKind,
  PluginMetrics,
  ProcessorDefinition,
  ProcessorInstance,
} from './plugin/types.ts';

export { Metric, seriesKey } from './model/metric/metric.ts';
export type { FieldTypes, Fields, FieldValue, IntType, Tags } from './model/metric/metric.ts';
export type { Precision } from './model/metric/time.ts';

export { WriteError, parseRetryAfter } from './model/errors/errors.ts';
export type { RejectedMetric } from './model/errors/errors.ts';

export { duration, size } from './config/duration.ts';
export { secret } from './config/secret.ts';

/** For warnings that can recur thousands of times a second: once per key and interval. */
export { LogThrottle, LOG_EVERY_MS } from './engine/telemetry/log-throttle.ts';

export { createParser, createSerializer } from './format/registry.ts';
export type { ParseError, ParseOptions, ParseResult, Parser, Serializer } from './format/types.ts';

export { optionTable, sampleToml } from './plugin/doc.ts';
export { gatherOnce, parseConfig, runProcessor, testContext, TestAccumulator } from './plugin/testing.ts';

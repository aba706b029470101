/**
 * The built-in processors, one line each. The composition root (bin/viva.ts) registers them.
 */
import type { ProcessorDefinition } from '../../core/plugin/types.ts';
import { aggregateProcessor } from './aggregate/index.ts';
import { alertProcessor } from './alert/index.ts';
import { anomalyProcessor } from './anomaly/index.ts';
import { converterProcessor } from './converter/index.ts';
import { dedupProcessor } from './dedup/index.ts';
import { enumProcessor } from './enum/index.ts';
import { execdProcessor } from './execd/index.ts';
import { expressionProcessor } from './expression/index.ts';
import { filterProcessor } from './filter/index.ts';
import { lookupProcessor } from './lookup/index.ts';
import { patternProcessor } from './pattern/index.ts';
import { regexProcessor } from './regex/index.ts';
import { renameProcessor } from './rename/index.ts';
import { rollupProcessor } from './rollup/index.ts';
import { tagLimitProcessor } from './tag_limit/index.ts';
import { tagsProcessor } from './tags/index.ts';

const defs: unknown[] = [
  aggregateProcessor,
  alertProcessor,
  anomalyProcessor,
  converterProcessor,
  dedupProcessor,
  enumProcessor,
  execdProcessor,
  expressionProcessor,
  filterProcessor,
  lookupProcessor,
  patternProcessor,
  regexProcessor,
  renameProcessor,
  rollupProcessor,
  tagLimitProcessor,
  tagsProcessor,
];

export const builtinProcessors = defs as ProcessorDefinition[];

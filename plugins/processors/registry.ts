/**
 * The built-in processors, one line each: a name and the module that defines it, imported only when a
 * config names the plugin (or when every plugin is listed). The composition root (bin/viva.ts)
 * registers them.
 */
import { lazy, type LazyDefinition } from '../../core/plugin/registry.ts';

export const builtinProcessors: LazyDefinition[] = [
  lazy(
    'processor',
    'aggregate',
    () => import('./aggregate/index.ts'),
    (m) => m.aggregateProcessor,
  ),
  lazy(
    'processor',
    'alert',
    () => import('./alert/index.ts'),
    (m) => m.alertProcessor,
  ),
  lazy(
    'processor',
    'anomaly',
    () => import('./anomaly/index.ts'),
    (m) => m.anomalyProcessor,
  ),
  lazy(
    'processor',
    'converter',
    () => import('./converter/index.ts'),
    (m) => m.converterProcessor,
  ),
  lazy(
    'processor',
    'dedup',
    () => import('./dedup/index.ts'),
    (m) => m.dedupProcessor,
  ),
  lazy(
    'processor',
    'enum',
    () => import('./enum/index.ts'),
    (m) => m.enumProcessor,
  ),
  lazy(
    'processor',
    'execd',
    () => import('./execd/index.ts'),
    (m) => m.execdProcessor,
  ),
  lazy(
    'processor',
    'expression',
    () => import('./expression/index.ts'),
    (m) => m.expressionProcessor,
  ),
  lazy(
    'processor',
    'filter',
    () => import('./filter/index.ts'),
    (m) => m.filterProcessor,
  ),
  lazy(
    'processor',
    'lookup',
    () => import('./lookup/index.ts'),
    (m) => m.lookupProcessor,
  ),
  lazy(
    'processor',
    'pattern',
    () => import('./pattern/index.ts'),
    (m) => m.patternProcessor,
  ),
  lazy(
    'processor',
    'regex',
    () => import('./regex/index.ts'),
    (m) => m.regexProcessor,
  ),
  lazy(
    'processor',
    'rename',
    () => import('./rename/index.ts'),
    (m) => m.renameProcessor,
  ),
  lazy(
    'processor',
    'rollup',
    () => import('./rollup/index.ts'),
    (m) => m.rollupProcessor,
  ),
  lazy(
    'processor',
    'tag_limit',
    () => import('./tag_limit/index.ts'),
    (m) => m.tagLimitProcessor,
  ),
  lazy(
    'processor',
    'tags',
    () => import('./tags/index.ts'),
    (m) => m.tagsProcessor,
  ),
];

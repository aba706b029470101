/**
 * The schema-driven tables of docs/COLLECTOR.md ([collector], [collector.fleet], [[routes]], [[destinations]]),
 * generated like docs/CONFIGURATION.md's by `npm run docs` and checked by a test.
 */
import { renderGenerated } from '../core/config/docs.ts';
import { collectorObject, destinationSchema, routeSchema } from './config.ts';
import { fleetKafkaObject, fleetObject } from './fleet/config.ts';

export function renderCollectorDoc(text: string): string {
  return renderGenerated(
    text,
    {
      collector: collectorObject,
      'collector.fleet': fleetObject,
      'collector.fleet.kafka': fleetKafkaObject,
      routes: routeSchema,
      destinations: destinationSchema,
    },
    'collector/config.ts',
    'docs/COLLECTOR.md',
  );
}

/**
 * `GET /api/fleet?sort=&order=&filter=&health=&offset=&limit=` on the collector's admin listener:
 * one FleetPage as JSON. A bad parameter is answered 400 naming it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FleetQuery, FleetView } from './types.ts';

export const FLEET_API_PATH = '/api/fleet';

const SORTS = ['worst', 'id', 'host', 'lastSeen', 'rateIn', 'errorRate'] as const;
const HEALTHS = ['healthy', 'degraded', 'silent'] as const;

/** Parses the query string of /api/fleet; a string names the bad parameter. */
export function parseFleetQuery(params: URLSearchParams): FleetQuery | string {
  const q: FleetQuery = {};
  const sort = params.get('sort');
  if (sort !== null && sort !== '') {
    if (!(SORTS as readonly string[]).includes(sort)) return `sort must be one of ${SORTS.join(', ')}`;
    q.sort = sort as FleetQuery['sort'];
  }
  const order = params.get('order');
  if (order !== null && order !== '') {
    if (order !== 'asc' && order !== 'desc') return 'order must be asc or desc';
    q.order = order;
  }
  const filter = params.get('filter');
  if (filter !== null && filter !== '') q.filter = filter;
  const health = params.get('health');
  if (health !== null && health !== '') {
    if (!(HEALTHS as readonly string[]).includes(health))
      return `health must be one of ${HEALTHS.join(', ')}`;
    q.health = health as FleetQuery['health'];
  }
  for (const key of ['offset', 'limit'] as const) {
    const v = params.get(key);
    if (v === null || v === '') continue;
    if (!/^\d+$/.test(v)) return `${key} must be a non-negative integer`;
    q[key] = Number(v);
  }
  return q;
}

/** The route handler for the admin server. */
export function fleetApiRoute(view: FleetView): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const q = parseFleetQuery(new URL(req.url ?? '/', 'http://x').searchParams);
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'no-store');
    if (typeof q === 'string') {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: q }));
      return;
    }
    res.end(JSON.stringify(view.list(q)));
  };
}

/**
 * The dashboard's HTTP routes on the collector's admin listener. The page and its assets are
 * static and open (they hold no data); every data route takes the admin bearer token or a
 * session cookie from POST /dashboard/login (which itself takes the token in the Authorization
 * header). The page is served with a strict Content-Security-Policy: scripts and styles only
 * from the collector, no inline script, no eval.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AdminServer } from '../../core/app/admin.ts';
import type { FleetQuery, SourceHealth } from '../fleet/types.ts';
import type { Dashboard } from './dashboard.ts';
import { Sessions } from './sessions.ts';

const ASSETS = path.join(import.meta.dirname, 'assets');
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The uPlot files, served from node_modules (a dependency; no CDN). */
function uplotFile(name: string): string {
  const pkg = createRequire(import.meta.url).resolve('uplot/package.json');
  return path.join(path.dirname(pkg), name);
}

const STATIC: Record<string, { file: () => string; type: string }> = {
  '/dashboard': { file: () => path.join(ASSETS, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: () => path.join(ASSETS, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/app.css': { file: () => path.join(ASSETS, 'app.css'), type: 'text/css; charset=utf-8' },
  '/dashboard/uplot.js': {
    file: () => uplotFile('dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/dashboard/uplot.css': { file: () => uplotFile('dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  '/dashboard/uplot-LICENSE.txt': { file: () => uplotFile('LICENSE'), type: 'text/plain; charset=utf-8' },
};

const SORTS = new Set(['worst', 'id', 'host', 'lastSeen', 'rateIn', 'errorRate']);
const HEALTHS = new Set(['healthy', 'degraded', 'silent']);

/** A FleetQuery from URL parameters; unknown or malformed values are left out (defaults apply). */
export function parseFleetQuery(p: URLSearchParams): FleetQuery {
  const q: FleetQuery = {};
  const sort = p.get('sort');
  if (sort !== null && SORTS.has(sort)) q.sort = sort as FleetQuery['sort'];
  const order = p.get('order');
  if (order === 'asc' || order === 'desc') q.order = order;
  const filter = p.get('filter');
  if (filter !== null && filter !== '') q.filter = filter.slice(0, 200);
  const health = p.get('health');
  if (health !== null && HEALTHS.has(health)) q.health = health as SourceHealth;
  const offset = Number(p.get('offset') ?? '');
  if (p.has('offset') && Number.isInteger(offset) && offset >= 0) q.offset = offset;
  const limit = Number(p.get('limit') ?? '');
  if (p.has('limit') && Number.isInteger(limit) && limit > 0) q.limit = Math.min(limit, 500);
  return q;
}

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://x').searchParams;
}

/** Adds the dashboard's routes to the admin server. */
export function mountDashboard(admin: AdminServer, dashboard: Dashboard, opts: { tls: boolean }): void {
  const sessions = new Sessions({ secure: opts.tls });
  admin.acceptSessions((req) => sessions.valid(req));
  for (const [p, asset] of Object.entries(STATIC))
    admin.route(
      `GET ${p}`,
      async (_req, res) => {
        const body = await fs.promises.readFile(asset.file());
        res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS });
        res.end(body);
      },
      false,
    );
  admin.route(
    'GET /dashboard/',
    (_req, res) => void res.writeHead(308, { location: '/dashboard' }).end(),
    false,
  );
  // The token arrives in the Authorization header (checked by the admin server), never in a URL.
  admin.route('POST /dashboard/login', (_req, res) => {
    if (!admin.tokenRequired) return json(res, 200, { ok: true, tokenRequired: false });
    json(res, 200, { ok: true, tokenRequired: true }, { 'set-cookie': sessions.open() });
  });
  admin.route(
    'POST /dashboard/logout',
    (req, res) => json(res, 200, { ok: true }, { 'set-cookie': sessions.close(req) }),
    false,
  );
  // Open: tells the page whether to show the login form.
  admin.route(
    'GET /api/dashboard/session',
    (req, res) =>
      json(res, 200, { authenticated: admin.authenticated(req), tokenRequired: admin.tokenRequired }),
    false,
  );
  admin.route('GET /api/dashboard', async (req, res) => {
    const frame = await dashboard.frame();
    json(res, 200, { ...frame, page: dashboard.fleetPage(parseFleetQuery(query(req))) });
  });
  admin.route('GET /api/dashboard/events', (req, res) =>
    dashboard.subscribe(res, parseFleetQuery(query(req))),
  );
}

/**
 * The ops dashboard served by the collector's admin listener (docs/DASHBOARD.md): `attachDashboard`
 * builds the push loop over a running collector and mounts its routes.
 */
import type { Logger } from 'pino';
import type { AdminServer } from '../../core/app/admin.ts';
import type { Telemetry } from '../../core/engine/telemetry/telemetry.ts';
import type { Collector } from '../collector.ts';
import { Dashboard } from './dashboard.ts';
import { mountDashboard } from './routes.ts';

/**
 * Builds the dashboard of `collector` and adds its routes to `admin`; call `start()` on the result
 * once the collector runs and `stop()` before the admin server stops. VIVA_DASHBOARD_TIME_SCALE
 * (a testing aid) runs the push loop that many times faster on a simulated clock.
 */
export function attachDashboard(
  admin: AdminServer,
  collector: Collector,
  services: { telemetry: Telemetry; log: Logger },
): Dashboard {
  const scale = Number(process.env.VIVA_DASHBOARD_TIME_SCALE ?? '1');
  const dashboard = new Dashboard({
    source: {
      telemetry: services.telemetry,
      health: () => collector.health(),
      spoolMaxBytes: () => collector.config.collector.spool_max_bytes,
      tap: collector.tap,
      fleet: () => collector.fleet,
    },
    log: services.log.child({ component: 'dashboard' }),
    timeScale: Number.isFinite(scale) && scale >= 1 ? scale : 1,
  });
  mountDashboard(admin, dashboard, { tls: collector.config.base.agent.http_tls_cert !== undefined });
  return dashboard;
}

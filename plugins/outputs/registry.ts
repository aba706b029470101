/**
 * The built-in outputs, one line each: a name and the module that defines it, imported only when a
 * config names the plugin (or when every plugin is listed). The composition root (bin/viva.ts)
 * registers them.
 */
import { lazy, type LazyDefinition } from '../../core/plugin/registry.ts';

export const builtinOutputs: LazyDefinition[] = [
  lazy(
    'output',
    'alertmanager',
    () => import('./alertmanager/index.ts'),
    (m) => m.alertmanagerOutput,
  ),
  lazy(
    'output',
    'archive',
    () => import('./archive/index.ts'),
    (m) => m.archiveOutput,
  ),
  lazy(
    'output',
    'discard',
    () => import('./discard/index.ts'),
    (m) => m.discardOutput,
  ),
  lazy(
    'output',
    'execd',
    () => import('./execd/index.ts'),
    (m) => m.execdOutput,
  ),
  lazy(
    'output',
    'file',
    () => import('./file/index.ts'),
    (m) => m.fileOutput,
  ),
  lazy(
    'output',
    'http',
    () => import('./http/index.ts'),
    (m) => m.httpOutput,
  ),
  lazy(
    'output',
    'influxdb',
    () => import('./influxdb/index.ts'),
    (m) => m.influxdbOutput,
  ),
  lazy(
    'output',
    'influxdb_v2',
    () => import('./influxdb_v2/index.ts'),
    (m) => m.influxdbV2Output,
  ),
  lazy(
    'output',
    'kafka',
    () => import('./kafka/index.ts'),
    (m) => m.kafkaOutput,
  ),
  lazy(
    'output',
    'mqtt',
    () => import('./mqtt/index.ts'),
    (m) => m.mqttOutput,
  ),
  lazy(
    'output',
    'prometheus_client',
    () => import('./prometheus_client/index.ts'),
    (m) => m.prometheusClientOutput,
  ),
  lazy(
    'output',
    'prometheus_remote_write',
    () => import('./prometheus_remote_write/index.ts'),
    (m) => m.prometheusRemoteWriteOutput,
  ),
  lazy(
    'output',
    'socket_writer',
    () => import('./socket_writer/index.ts'),
    (m) => m.socketWriterOutput,
  ),
  lazy(
    'output',
    'stdout',
    () => import('./stdout/index.ts'),
    (m) => m.stdoutOutput,
  ),
  lazy(
    'output',
    'viva',
    () => import('./viva/index.ts'),
    (m) => m.vivaOutput,
  ),
  lazy(
    'output',
    'webhook',
    () => import('./webhook/index.ts'),
    (m) => m.webhookOutput,
  ),
];
